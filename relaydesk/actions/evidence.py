"""What an action leaves behind: the conversation's events, and the report callers read."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from relaydesk.actions.models import ActionRun, RunStatus
from relaydesk.conversations.models import Conversation, ConversationStatus, Event, EventKind
from relaydesk.conversations.status import change_status
from relaydesk.permissions.actors import Actor
from relaydesk.permissions.models import Approval
from relaydesk.resolver.types import ActionTaken


def report(run: ActionRun, team: str | None = None) -> ActionTaken:
    return ActionTaken(
        action=run.action,
        arguments=run.arguments,
        status=run.status,
        result=run.result,
        policies=tuple(run.policies),
        reasons=tuple(run.reasons),
        run_id=run.id,
        approval_id=run.approval_id,
        team=team,
    )


def action_event(session: Session, run: ActionRun, actor: Actor) -> None:
    """The run in its conversation's story, labelled with who acted for whom."""
    if run.conversation_id is None:
        return
    session.add(
        Event(
            conversation_id=run.conversation_id,
            kind=EventKind.ACTION,
            source=actor.source,
            actor=actor.label,
            caused_by=run.message_id,
            text=describe(run),
            payload={
                "run_id": run.id,
                "action": run.action,
                "arguments": run.arguments,
                "status": run.status,
                "verdict": {
                    "outcome": run.outcome,
                    "policies": run.policies,
                    "reasons": run.reasons,
                    "decided_in_us": run.decided_in_us,
                },
                "result": run.result,
                "chain": run.actor_chain,
                "approval_id": run.approval_id,
            },
        )
    )


def approval_event(session: Session, approval: Approval, actor: Actor, what: str) -> None:
    if approval.conversation_id is None:
        return
    session.add(
        Event(
            conversation_id=approval.conversation_id,
            kind=EventKind.APPROVAL,
            source=actor.source,
            actor=actor.label,
            text=f"approval {what}: {approval.action} ({approval.reason})",
            payload={
                "approval_id": approval.id,
                "status": approval.status,
                "what": what,
                "action": approval.action,
                "arguments": approval.arguments,
                "resource": f"{approval.resource_type}::{approval.resource_id}",
                "team": approval.team,
                "reason": approval.reason,
                "expires_at": approval.expires_at.isoformat(),
                "binding": approval.binding,
                "executed_run_id": approval.executed_run_id,
            },
        )
    )


def hand_over(
    session: Session, conversation: Conversation, approval: Approval, actor: Actor
) -> None:
    """The conversation goes to the approving team, with the reason, like any handoff."""
    text = (
        f"{actor.label} asked for {approval.action} "
        f"({_arguments(approval.arguments)}); it needs a person: {approval.reason}."
    )
    session.add(
        Event(
            conversation_id=conversation.id,
            kind=EventKind.HANDOFF,
            source="system",
            actor=actor.label,
            text=text,
            payload={
                "team": approval.team,
                "priority": "normal",
                "ask": text,
                "approval_id": approval.id,
                "reason": approval.reason,
                "packet": None,
            },
        )
    )
    conversation.team = approval.team
    change_status(session, conversation, ConversationStatus.WAITING_FOR_HUMAN, approval.reason)


def describe(run: ActionRun) -> str:
    what = f"{run.action}({_arguments(run.arguments)})"
    match run.status:
        case RunStatus.RAN:
            return f"ran {what}"
        case RunStatus.AWAITING_APPROVAL:
            return f"{what} waits for a person's approval: {'; '.join(run.reasons)}"
        case RunStatus.DENIED:
            return f"refused {what}: {'; '.join(run.reasons) or 'no policy allows it'}"
        case _:
            return f"{what} failed: {run.result.get('error', 'unknown error')}"


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in arguments.items())
