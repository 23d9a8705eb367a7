"""Every query of the conversation store. Functions take a session; none commits."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Event,
    EventKind,
    IdempotencyKey,
)
from relaydesk.errors import BadRequest

RECONTACT_WINDOW = timedelta(days=7)  # a new conversation within this counts as a recontact
TRANSCRIPT_KINDS = (EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT, EventKind.HANDOFF)
OPEN_STATUSES = (
    ConversationStatus.OPEN,
    ConversationStatus.WAITING_FOR_HUMAN,
    ConversationStatus.ASSIGNED,
)


def find_customer(session: Session, external_id: str | None, email: str | None) -> Customer | None:
    if external_id is not None:
        found = session.scalar(select(Customer).where(Customer.external_id == external_id))
        if found is not None:
            return found
    if email is not None:
        return session.scalar(select(Customer).where(Customer.email == email))
    return None


def find_idempotency_key(session: Session, api_key_id: str, key: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, (api_key_id, key))


def find_message(session: Session, channel: str, external_id: str) -> Event | None:
    return session.scalar(
        select(Event).where(Event.channel == channel, Event.external_id == external_id)
    )


def events_caused_by(session: Session, event_id: int) -> Sequence[Event]:
    return session.scalars(
        select(Event).where(Event.caused_by == event_id).order_by(Event.id)
    ).all()


def decision_exists(session: Session, message_id: int) -> bool:
    query = select(Event.id).where(Event.caused_by == message_id, Event.kind == EventKind.DECISION)
    return session.scalar(query) is not None


def transcript_before(
    session: Session, conversation_id: str, before_id: int, limit: int = 20
) -> list[Event]:
    """The last messages each way before one message, oldest first."""
    query = (
        select(Event)
        .where(
            Event.conversation_id == conversation_id,
            Event.id < before_id,
            Event.kind.in_(TRANSCRIPT_KINDS),
        )
        .order_by(Event.id.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(query).all()))


def conversation_events(session: Session, conversation_id: str) -> Sequence[Event]:
    query = select(Event).where(Event.conversation_id == conversation_id).order_by(Event.id)
    return session.scalars(query).all()


def recent_conversations(
    session: Session, customer_id: str, exclude: str, since: datetime
) -> tuple[int, int]:
    """(conversations started since ``since``, conversations still open), excluding one."""
    others = and_(Conversation.customer_id == customer_id, Conversation.id != exclude)
    recent = session.scalar(select(func.count()).where(others, Conversation.created_at >= since))
    still_open = session.scalar(
        select(func.count()).where(others, Conversation.status.in_(OPEN_STATUSES))
    )
    return recent or 0, still_open or 0


def pending_messages(session: Session, limit: int = 500) -> Sequence[int]:
    """Stored inbound messages that have no decision yet: the work a crash left behind."""
    decided = select(Event.caused_by).where(Event.kind == EventKind.DECISION)
    query = (
        select(Event.id)
        .where(Event.kind == EventKind.MESSAGE_IN, Event.id.not_in(decided))
        .order_by(Event.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.updated_at.isoformat()}|{conversation.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, conversation_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), conversation_id
    except ValueError as error:
        raise BadRequest("cursor is not one this API returned") from error


def list_conversations(
    session: Session,
    *,
    status: str | None,
    channel: str | None,
    customer_id: str | None,
    limit: int,
    cursor: str | None,
) -> list[Conversation]:
    """Most recently active first; keyset pagination on (updated_at, id)."""
    query = select(Conversation)
    if status is not None:
        query = query.where(Conversation.status == status)
    if channel is not None:
        query = query.where(Conversation.channel == channel)
    if customer_id is not None:
        query = query.where(Conversation.customer_id == customer_id)
    if cursor is not None:
        updated_at, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Conversation.updated_at < updated_at,
                and_(Conversation.updated_at == updated_at, Conversation.id < last_id),
            )
        )
    query = query.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit)
    return list(session.scalars(query).all())
