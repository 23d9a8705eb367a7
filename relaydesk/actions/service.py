"""Running an action safely: validate, authorize with Cedar, then run, wait or refuse.

    check   the action exists and its arguments fit its parameters (else ActionInvalid, 422)
    find    the resource in the system of record: its owner and amounts (else NotFound, 404)
    decide  Cedar: allow, deny, or a person must approve — with the policies that decided
    act     allow: run it, its effects in the same transaction as its evidence
            approval: an approval request bound to this exact action; deny: nothing
    record  an ``action_runs`` row, and an event in the conversation's story

No action runs because text said so: the actor comes from a credential, the resource's owner
and amounts from the shop's records, and the model's text only ever names a proposal.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.actions import evidence
from relaydesk.actions.context import RunContext
from relaydesk.actions.http import ActionFailed
from relaydesk.actions.models import ActionRun, RunStatus
from relaydesk.actions.registry import ActionSpec, Params, Registry
from relaydesk.actions.shop import Shop, ShopRefused
from relaydesk.conversations.models import Conversation
from relaydesk.db import Database, utcnow
from relaydesk.errors import NotFound, RelaydeskError
from relaydesk.metrics import Metrics
from relaydesk.permissions import approvals, grants
from relaydesk.permissions.actors import Actor, ActorKind
from relaydesk.permissions.authz import Authorizer, Outcome, Resource, Verdict
from relaydesk.permissions.models import Approval, Grant
from relaydesk.resolver.types import ActionTaken

GRANT_NOT_LIVE = "grant-not-live"  # not a Cedar policy: the grant ended before the action


class Forbidden(RelaydeskError):
    status_code = 403
    code = "forbidden"


@dataclass(frozen=True)
class ActionRequest:
    action: str
    arguments: Mapping[str, Any]
    actor: Actor
    conversation_id: str | None = None
    message_id: int | None = None  # the message whose AI attempt proposed it
    proposal_index: int | None = None  # its place among that attempt's proposals
    hand_over: bool = False  # an approval also hands the conversation to the approving team


@dataclass
class ActionRuntime:
    """Everything an action needs, built once per process."""

    database: Database
    registry: Registry
    authorizer: Authorizer
    shop: Shop
    secret: str  # keys approval bindings
    approval_ttl: timedelta = timedelta(hours=24)
    max_per_message: int = 5
    latencies_us: list[int] = field(default_factory=list, repr=False)
    metrics: Metrics | None = None  # the app's: relaydesk_actions_total counts every run

    def run(self, request: ActionRequest) -> ActionTaken:
        """Authorize and run (or not) one request; a retried proposal gets its first run."""
        taken, fresh = self._run(request)
        if fresh:
            self._count(taken, request.actor)
        return taken

    def _count(self, taken: ActionTaken, actor: Actor) -> None:
        if self.metrics is not None:
            self.metrics.actions.labels(taken.action, taken.status, actor.kind.value).inc()

    def _run(self, request: ActionRequest) -> tuple[ActionTaken, bool]:
        spec = self.registry.get(request.action)
        params = spec.parse(request.arguments)
        with self.database.write() as session:
            earlier = _earlier_run(session, request)
            if earlier is not None:
                return evidence.report(earlier), False
            _check_conversation(session, request)
            resource = self.shop.resource(session, spec.resource, params, request.actor)
            refusal = _grant_refusal(session, request.actor)
            verdict, micros = refusal or self._check(request.actor, spec, params, resource, request)
            run = _new_run(request, spec, params, resource, verdict, micros)
            session.add(run)
            session.flush()
            approval = self._act(session, run, spec, params, resource, verdict, request)
            evidence.action_event(session, run, request.actor)
            if approval is not None:
                self._await_person(session, approval, request)
            return evidence.report(run, approval.team if approval else None), True

    def _await_person(self, session: Session, approval: Approval, request: ActionRequest) -> None:
        evidence.approval_event(session, approval, request.actor, "requested")
        if request.hand_over and approval.conversation_id is not None:
            conversation = session.get(Conversation, approval.conversation_id)
            assert conversation is not None
            evidence.hand_over(session, conversation, approval, request.actor)

    def _check(
        self,
        actor: Actor,
        spec: ActionSpec,
        params: Params,
        resource: Resource,
        request: ActionRequest,
    ) -> tuple[Verdict, int]:
        started = time.perf_counter()
        verdict = self.authorizer.check(
            actor, spec.name, resource, params.amount_cents(), request.conversation_id
        )
        micros = int((time.perf_counter() - started) * 1e6)
        self.latencies_us.append(micros)
        del self.latencies_us[:-1000]
        return verdict, micros

    def _act(
        self,
        session: Session,
        run: ActionRun,
        spec: ActionSpec,
        params: Params,
        resource: Resource,
        verdict: Verdict,
        request: ActionRequest,
    ) -> Approval | None:
        if verdict.outcome == Outcome.ALLOW:
            _execute(RunContext(session, request.actor, resource, run), spec, params)
            return None
        if verdict.outcome == Outcome.DENY:
            run.status = RunStatus.DENIED
            return None
        approval = approvals.request_approval(
            session,
            self.secret,
            ttl=self.approval_ttl,
            action_run_id=run.id,
            conversation_id=run.conversation_id,
            action=run.action,
            arguments=run.arguments,
            resource_type=resource.type,
            resource_id=resource.id,
            requested_by=run.actor_chain,
            team=verdict.approval_team or "frontline",
            reason="; ".join(verdict.reasons) or "a person must approve this action",
        )
        run.status = RunStatus.AWAITING_APPROVAL
        run.approval_id = approval.id
        return approval

    def approve(
        self,
        approval_id: str,
        approver: Actor,
        binding: str | None,
        arguments: dict[str, Any] | None = None,
    ) -> ActionTaken:
        """Run the approved action as the approver, once; their own permits must allow it."""
        taken = self._approve(approval_id, approver, binding, arguments)
        self._count(taken, approver)
        return taken

    def _approve(
        self,
        approval_id: str,
        approver: Actor,
        binding: str | None,
        arguments: dict[str, Any] | None,
    ) -> ActionTaken:
        with self.database.write() as session:
            approval = approvals.lock(session, approval_id)
            spec = self.registry.get(approval.action)
            presented = None if arguments is None else _normalized(spec, arguments)
            approvals.check_usable(approval, self.secret, binding, presented)
            params = spec.parse(approval.arguments)
            resource = self.shop.resource_by_id(
                session, approval.resource_type, approval.resource_id
            )
            request = ActionRequest(
                approval.action, approval.arguments, approver, approval.conversation_id
            )
            verdict, micros = self._check(approver, spec, params, resource, request)
            if not verdict.allowed:
                raise Forbidden(
                    f"{approver.label} may not run {approval.action} on "
                    f"{resource.type} {resource.id}: {', '.join(verdict.policies)}",
                    policies=list(verdict.policies),
                )
            run = _new_run(request, spec, params, resource, verdict, micros)
            run.approval_id = approval.id
            session.add(run)
            session.flush()
            _execute(RunContext(session, approver, resource, run), spec, params)
            approvals.decide(approval, approvals.ApprovalStatus.USED, approver.label)
            approval.executed_run_id = run.id
            evidence.action_event(session, run, approver)
            evidence.approval_event(session, approval, approver, "approved")
            return evidence.report(run)

    def deny(self, approval_id: str, approver: Actor, binding: str | None) -> None:
        with self.database.write() as session:
            approval = approvals.lock(session, approval_id)
            approvals.check_usable(approval, self.secret, binding)
            approvals.decide(approval, approvals.ApprovalStatus.DENIED, approver.label)
            evidence.approval_event(session, approval, approver, "denied")


def _execute(context: RunContext, spec: ActionSpec, params: Params) -> None:
    """Run it; a refusal by the shop or a failing API leaves nothing changed but the record."""
    run = context.run
    try:
        with context.session.begin_nested():
            run.result = spec.runner(context, params)
        run.status = RunStatus.RAN
    except (ShopRefused, ActionFailed) as error:
        run.status = RunStatus.FAILED
        run.result = {"error": error.message}


def _normalized(spec: ActionSpec, arguments: Mapping[str, Any]) -> dict[str, Any]:
    return spec.parse(arguments).model_dump(mode="json", exclude_none=True)


def _earlier_run(session: Session, request: ActionRequest) -> ActionRun | None:
    """The run of this very proposal, if a retried or resumed message already made it."""
    if request.message_id is None or request.proposal_index is None:
        return None
    return session.scalar(
        select(ActionRun).where(
            ActionRun.message_id == request.message_id,
            ActionRun.proposal_index == request.proposal_index,
        )
    )


def _grant_refusal(session: Session, actor: Actor) -> tuple[Verdict, int] | None:
    """A delegated agent whose grant was revoked or expired after it wrote (its message is
    decided later, or resumed after a crash) is refused whatever the policies say."""
    if actor.kind != ActorKind.DELEGATED_AGENT:
        return None
    grant = session.get(Grant, actor.grant_id) if actor.grant_id else None
    problem = grants.why_not_live(grant, utcnow())
    if problem is None:
        return None
    return Verdict(outcome=Outcome.DENY, policies=(GRANT_NOT_LIVE,), reasons=(problem,)), 0


def _check_conversation(session: Session, request: ActionRequest) -> None:
    """An actor acting for a customer acts only in that customer's conversations."""
    if request.conversation_id is None:
        return
    conversation = session.get(Conversation, request.conversation_id)
    customer = request.actor.on_behalf_of
    if conversation is None or (customer is not None and conversation.customer_id != customer):
        raise NotFound(f"conversation {request.conversation_id} does not exist")


def _new_run(
    request: ActionRequest,
    spec: ActionSpec,
    params: Params,
    resource: Resource,
    verdict: Verdict,
    micros: int,
) -> ActionRun:
    actor = request.actor
    return ActionRun(
        action=spec.name,
        arguments=params.model_dump(mode="json", exclude_none=True),
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        grant_id=actor.grant_id,
        actor_chain=actor.chain(),
        conversation_id=request.conversation_id,
        message_id=request.message_id,
        proposal_index=request.proposal_index,
        resource_type=resource.type,
        resource_id=resource.id,
        amount_cents=params.amount_cents(),
        outcome=verdict.outcome.value,
        policies=list(verdict.policies),
        reasons=list(verdict.reasons),
        status=RunStatus.DENIED,
        result={},
        decided_in_us=micros,
    )
