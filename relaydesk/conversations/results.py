"""Reading back what the path decided for a message, as the API returns it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from relaydesk.conversations import repository
from relaydesk.conversations.models import Conversation, Customer, Event, EventKind
from relaydesk.conversations.schemas import (
    ConversationDetail,
    CustomerRead,
    DecisionOut,
    EventRead,
    HandoffOut,
    MessageResult,
    ReplyOut,
    WaitOut,
)
from relaydesk.errors import NotFound
from relaydesk.metrics import Metrics
from relaydesk.policy.decision import Decision
from relaydesk.queue.wait import WaitEstimate


def message_result(session: Session, message_id: int, replayed: bool) -> MessageResult:
    message = session.get(Event, message_id)
    if message is None:
        raise NotFound(f"message {message_id} does not exist")
    decision: DecisionOut | None = None
    reply: ReplyOut | None = None
    handoff: HandoffOut | None = None
    for event in repository.events_caused_by(session, message_id):
        if event.kind == EventKind.DECISION:
            decision = DecisionOut.of(
                Decision.model_validate(event.payload["decision"]), event.payload.get("record")
            )
        elif event.kind == EventKind.MESSAGE_OUT:
            reply = ReplyOut(text=event.text or "", citations=event.payload["citations"])
        elif event.kind == EventKind.HANDOFF:
            handoff = handoff_out(event.text or "", event.payload)
    if decision is None:
        raise NotFound(f"message {message_id} has no decision yet")
    return MessageResult(
        conversation_id=message.conversation_id,
        message_id=message_id,
        replayed=replayed,
        decision=decision,
        reply=reply,
        handoff=handoff,
    )


def conversation_detail(session: Session, conversation_id: str) -> ConversationDetail:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    customer = session.get(Customer, conversation.customer_id)
    events = repository.conversation_events(session, conversation_id)
    return ConversationDetail(
        id=conversation.id,
        customer_id=conversation.customer_id,
        channel=conversation.channel,
        status=conversation.status,
        team=conversation.team,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        customer=CustomerRead.model_validate(customer),
        events=[EventRead.model_validate(e) for e in events],
    )


def handoff_out(text: str, payload: dict[str, Any]) -> HandoffOut:
    """The stored handoff as the API shows it (older handoffs have no wait)."""
    wait = payload.get("wait")
    shown = None
    if isinstance(wait, dict):
        stored = WaitEstimate.model_validate(wait)
        shown = WaitOut(
            minutes=stored.minutes, phrase=stored.phrase, open=stored.open, opens_at=stored.opens_at
        )
    return HandoffOut(text=text, team=payload.get("team"), team_label=payload.get("team_label"),
                      wait=shown)  # fmt: skip


def count_message(metrics: Metrics, channel: str, result: MessageResult) -> None:
    """The message and decision counters, once per message (a replay counts as a replay)."""
    if result.replayed:
        metrics.replays.inc()
        return
    decision = result.decision
    metrics.messages.labels(channel, decision.route).inc()
    metrics.decisions.labels(
        decision.matched_rules[0]["id"], decision.route, decision.policy_version,
        decision.arm or "none",
    ).inc()  # fmt: skip
