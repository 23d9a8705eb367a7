"""The conversation page and what people do on it.

Writes go through the queue's services (``relaydesk.queue.claims`` and ``.work``), which check
the fencing token in the same transaction as the write. The workspace adds one check of its
own before them: the token must be the signed-in agent's, so that nobody acts as the owner
with a token that is not theirs. A stale token is refused with 409 and nothing is written.

An htmx action answers with the fragments it changed (the owner controls, the header, the
messages) and ``HX-Trigger: transcript-changed``, on which the transcript poll fetches the new
events at once. Without JavaScript every form still works: the answer is a redirect back.

Approvals waiting in the conversation are listed with Approve / Deny; deciding goes through
the action runtime as the signed-in person (``relaydesk.workspace.approvals``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from relaydesk.actions.service import ActionRuntime
from relaydesk.conversations.models import Event, EventKind
from relaydesk.db import Database
from relaydesk.deps import DatabaseDep, PartsDep
from relaydesk.errors import Conflict, RelaydeskError, Unprocessable
from relaydesk.permissions.actors import Actor
from relaydesk.pipeline import Parts
from relaydesk.queue import claims, work
from relaydesk.queue.agents import list_agents
from relaydesk.queue.api import auto_assign
from relaydesk.queue.models import Agent
from relaydesk.settings import MAX_MESSAGE_CHARS
from relaydesk.workspace import approvals, packet, transcript
from relaydesk.workspace.auth import CheckedDep, Permission, SignedIn, SignedInDep, can, require
from relaydesk.workspace.render import WorkspaceRoute, base_context, is_htmx, render
from relaydesk.workspace.repository import (
    agent_names,
    claim_with_token,
    conversation_and_customer,
    decision_facts,
    events_after,
    flag_reasons,
    latest_handoff,
    owner_of,
)

router = APIRouter(route_class=WorkspaceRoute)

ONE = "/conversations/{conversation_id}"
TokenField = Annotated[int, Form()]
TextField = Annotated[str, Form(max_length=MAX_MESSAGE_CHARS)]
BindingField = Annotated[str, Form(min_length=64, max_length=64)]


# --- reading ------------------------------------------------------------------------------


def team_labels(parts: Parts, *more: str | None) -> dict[str, str]:
    names = [*parts.routed_teams(), *(name for name in more if name)]
    return {name: parts.teams.get(name).title for name in names}


def live_context(
    session: Session, parts: Parts, agent: Agent, conversation_id: str
) -> dict[str, Any]:
    """The parts of the page that change as people act: the header and the owner controls."""
    conversation, customer = conversation_and_customer(session, conversation_id)
    owner = owner_of(session, conversation_id)
    handoff = latest_handoff(session, conversation_id)
    labels = team_labels(parts, conversation.team)
    reassign = can(agent, Permission.REASSIGN) and owner is not None
    return {
        "conversation": conversation,
        "customer": customer,
        "owner": owner,
        "mine": owner is not None and owner.agent_id == agent.id,
        "team_label": labels.get(conversation.team or "", conversation.team),
        "handoff_priority": (handoff.payload or {}).get("priority") if handoff else None,
        "transfer_teams": sorted(labels.items(), key=lambda pair: pair[1].lower()),
        "can_reassign": reassign,
        "reassign_agents": list_agents(session) if reassign else [],
    }


def transcript_items(
    session: Session, parts: Parts, events: Sequence[Event], context: dict[str, Any]
) -> list[transcript.Item]:
    names = agent_names(session, transcript.actor_ids(events))
    labels = team_labels(parts, context["conversation"].team)
    return transcript.items(events, names, context["customer"].name, labels)


def context_panel(
    session: Session, events: Sequence[Event], context: dict[str, Any]
) -> packet.Panel:
    """The packet of the latest handoff, with the decision behind it as the fallback."""
    handoff = next((e for e in reversed(events) if e.kind == EventKind.HANDOFF), None)
    decisions = [e for e in events if e.kind == EventKind.DECISION]
    if handoff is not None:
        decisions = [e for e in decisions if e.caused_by == handoff.caused_by] or decisions
    decision = decisions[-1] if decisions else None
    payload = dict(handoff.payload or {}) if handoff is not None else {}
    customer = context["customer"]
    message_id = handoff.caused_by if handoff is not None else None
    if message_id is None and decision is not None:
        message_id = decision.caused_by
    sources = packet.Sources(
        packet=payload.get("packet") if isinstance(payload.get("packet"), dict) else None,
        decision=(decision.payload or {}).get("decision") if decision is not None else None,
        facts=decision_facts(session, message_id),
        handoff=payload,
        customer={
            "name": customer.name,
            "email": customer.email,
            "tier": customer.tier,
            "attributes": customer.attributes or {},
        },
    )
    return packet.build(sources)


@router.get(ONE)
def conversation_page(
    request: Request,
    conversation_id: str,
    signed: SignedInDep,
    database: DatabaseDep,
    parts: PartsDep,
) -> Response:
    with database.read() as session:
        context = base_context(signed, parts) | live_context(
            session, parts, signed.agent, conversation_id
        )
        events = events_after(session, conversation_id)
        context["items"] = transcript_items(session, parts, events, context)
        context["panel"] = context_panel(session, events, context)
        context["approvals"] = approvals.pending_views(session, conversation_id)
    return render(request, "conversation.html", context)


@router.get(ONE + "/events")
def new_events(
    request: Request,
    conversation_id: str,
    signed: SignedInDep,
    database: DatabaseDep,
    parts: PartsDep,
    after: int = 0,
    claim: int = 0,
) -> Response:
    """Events after ``after``; the owner controls too if the active claim is not ``claim``.
    Polled every 2 s by each open page, so "nothing new" costs two indexed reads."""
    with database.read() as session:
        events = events_after(session, conversation_id, after)
        owner = owner_of(session, conversation_id)
        controls_changed = (owner.fencing_token if owner is not None else 0) != claim
        if not events and not controls_changed:
            return Response(status_code=204)
        context = base_context(signed, parts) | live_context(
            session, parts, signed.agent, conversation_id
        )
        context["items"] = transcript_items(session, parts, events, context)
    context |= {"oob": True, "controls_oob": controls_changed}
    return render(request, "_events.html", context)


# --- acting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """One POST from the workspace: who (signed in, CSRF checked), where, and how to answer."""

    request: Request
    signed: SignedIn
    database: Database
    parts: Parts

    @property
    def agent(self) -> Agent:
        return self.signed.agent

    def check_mine(self, conversation_id: str, token: int) -> None:
        """Refuse a token of someone else's claim; ``check_owner`` in the write refuses the
        rest (a released or taken-over claim of one's own)."""
        with self.database.read() as session:
            found = claim_with_token(session, token)
            if found is None or found[0].agent_id == self.agent.id:
                return
            owner = owner_of(session, conversation_id)
        held = f"is owned by {owner.name} (claim {owner.claim_id})" if owner else "is not claimed"
        raise Conflict(f"conversation {conversation_id} {held}; only its owner may do this")

    def done(
        self, conversation_id: str, notice: str, fragment: str = "_action_result.html", **extra: Any
    ) -> Response:
        """The changed fragments for htmx (and a poll of the transcript); else back to the page.

        ``extra`` is the fragment's own context; without it, the header and owner controls."""
        if not is_htmx(self.request):
            url = f"/workspace/conversations/{conversation_id}"
            return RedirectResponse(url, status_code=303)
        context = base_context(self.signed, self.parts) | {"oob": True, "notice": notice}
        if not extra:
            with self.database.read() as session:
                extra = live_context(session, self.parts, self.agent, conversation_id)
        headers = {"HX-Trigger": "transcript-changed"}
        return render(self.request, fragment, context | extra, headers=headers)

    def end_claim(self, conversation_id: str, token: int, end: EndClaim, notice: str) -> Response:
        """Resolve, release, transfer or hand back; then auto-assigning teams take what waits."""
        self.check_mine(conversation_id, token)
        end(self.database, conversation_id, token)
        auto_assign(self.database, self.parts)
        return self.done(conversation_id, notice)


EndClaim = Callable[[Database, str, int], object]


def desk(request: Request, signed: CheckedDep, database: DatabaseDep, parts: PartsDep) -> Desk:
    return Desk(request, signed, database, parts)


DeskDep = Annotated[Desk, Depends(desk)]


@router.post(ONE + "/claim")
def claim(conversation_id: str, desk: DeskDep) -> Response:
    claims.claim(desk.database, desk.agent.id, conversation_id)
    return desk.done(conversation_id, "You own this conversation now.")


@router.post(ONE + "/reply")
def reply(
    conversation_id: str, desk: DeskDep, fencing_token: TokenField, text: TextField = ""
) -> Response:
    desk.check_mine(conversation_id, fencing_token)
    work.reply(desk.database, conversation_id, fencing_token, text)
    return desk.done(conversation_id, "Reply sent to the customer.")


@router.post(ONE + "/note")
def note(conversation_id: str, desk: DeskDep, text: TextField = "") -> Response:
    work.note(desk.database, conversation_id, desk.agent.id, text)
    return desk.done(conversation_id, "Note added. Only people see it.", "_note_result.html")


@router.post(ONE + "/resolve")
def resolve(conversation_id: str, desk: DeskDep, fencing_token: TokenField) -> Response:
    return desk.end_claim(conversation_id, fencing_token, claims.resolve, "Resolved.")


@router.post(ONE + "/hand-back")
def hand_back(conversation_id: str, desk: DeskDep, fencing_token: TokenField) -> Response:
    notice = "Handed back to the AI: it answers the customer's next message."
    return desk.end_claim(conversation_id, fencing_token, claims.hand_back_to_ai, notice)


@router.post(ONE + "/release")
def release(conversation_id: str, desk: DeskDep, fencing_token: TokenField) -> Response:
    notice = "Released to the team's queue."
    return desk.end_claim(conversation_id, fencing_token, claims.release, notice)


@router.post(ONE + "/transfer")
def transfer(
    conversation_id: str,
    desk: DeskDep,
    fencing_token: TokenField,
    team: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    labels = team_labels(desk.parts)
    if team not in labels:
        raise Unprocessable(f"there is no team {team!r} to transfer to")

    def to_team(database: Database, conversation_id: str, token: int) -> object:
        return claims.transfer(database, conversation_id, token, team)

    notice = f"Transferred to {labels[team]}."
    return desk.end_claim(conversation_id, fencing_token, to_team, notice)


@router.post(ONE + "/reassign")
def reassign(
    conversation_id: str, desk: DeskDep, to_agent_id: Annotated[str, Form(max_length=36)]
) -> Response:
    require(desk.agent, Permission.REASSIGN)
    moved = claims.reassign(desk.database, conversation_id, to_agent_id, desk.agent.id, None)
    with desk.database.read() as session:
        name = agent_names(session, [moved.agent_id]).get(moved.agent_id, "them")
    return desk.done(conversation_id, f"Reassigned to {name}.")


@router.post("/messages/{message_id}/flag")
def flag(
    message_id: int, desk: DeskDep, reason: Annotated[str, Form(max_length=2_000)] = ""
) -> Response:
    flagged = work.flag_ai_answer(desk.database, message_id, desk.agent.id, reason)
    with desk.database.read() as session:
        reasons = tuple(flag_reasons(session, message_id))
    answer = transcript.Item(message_id, "ai", flagged.created_at, "AI", "", flags=reasons)
    notice = "Marked as wrong. QA will review it."
    return desk.done(flagged.conversation_id, notice, "_flag_result.html", item=answer)


# --- approvals ----------------------------------------------------------------------------


class ActionsOff(RelaydeskError):
    status_code = 503
    code = "actions_unavailable"


def decide_approval(
    desk: Desk, conversation_id: str, approval_id: str
) -> tuple[ActionRuntime, Actor]:
    """The action runtime and the signed-in person as the actor who decides."""
    with desk.database.read() as session:
        approvals.check_here(session, conversation_id, approval_id)
    if desk.parts.actions is None:
        raise ActionsOff("actions are not configured on this server")
    agent = desk.agent
    return desk.parts.actions, Actor.human_agent(agent.id, agent.role, agent.name)


def approvals_done(desk: Desk, conversation_id: str, notice: str) -> Response:
    with desk.database.read() as session:
        pending = approvals.pending_views(session, conversation_id)
    return desk.done(conversation_id, notice, "_approval_result.html", approvals=pending)


@router.post(ONE + "/approvals/{approval_id}/approve")
def approve(
    conversation_id: str, approval_id: str, desk: DeskDep, binding: BindingField
) -> Response:
    """Run the action as the signed-in person, with their own Cedar permits."""
    runtime, person = decide_approval(desk, conversation_id, approval_id)
    taken = runtime.approve(approval_id, person, binding)
    notice = f"Approved: {taken.action.replace('_', ' ')} {taken.status} as you."
    return approvals_done(desk, conversation_id, notice)


@router.post(ONE + "/approvals/{approval_id}/deny")
def deny(conversation_id: str, approval_id: str, desk: DeskDep, binding: BindingField) -> Response:
    runtime, person = decide_approval(desk, conversation_id, approval_id)
    runtime.deny(approval_id, person, binding)
    return approvals_done(desk, conversation_id, "Denied: the action will not run.")
