"""Moving a conversation between statuses, always with an event that says why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from relaydesk.conversations.models import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    Source,
)


def change_status(
    session: Session, conversation: Conversation, status: ConversationStatus, why: str
) -> None:
    """Every status move leaves a status_change event saying from, to and why."""
    if conversation.status == status:
        return
    session.add(
        Event(
            conversation_id=conversation.id,
            kind=EventKind.STATUS_CHANGE,
            source=Source.SYSTEM,
            payload={"from": conversation.status, "to": status, "why": why},
        )
    )
    conversation.status = status
