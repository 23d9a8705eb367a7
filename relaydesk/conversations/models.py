"""Tables of the conversation store. Events are append-only: nothing updates or deletes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, BigIntPK, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


class Source(StrEnum):
    """Who produced an event."""

    CUSTOMER = "customer"
    AI_AGENT = "ai_agent"
    HUMAN_AGENT = "human_agent"
    DELEGATED_AGENT = "delegated_agent"
    SYSTEM = "system"


class EventKind(StrEnum):
    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    DECISION = "decision"
    HANDOFF = "handoff"
    ASSIGNMENT = "assignment"
    NOTE = "note"
    STATUS_CHANGE = "status_change"
    FLAG = "flag"  # a person marked an AI answer as wrong (for the quality loop)
    ACTION = "action"  # an action was asked for: its Cedar verdict and what happened
    APPROVAL = "approval"  # an action waits for, got or was refused a person's approval


class ConversationStatus(StrEnum):
    OPEN = "open"  # the AI is handling it
    WAITING_FOR_HUMAN = "waiting_for_human"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    tier: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_updated", "updated_at", "id"),
        Index("ix_conversations_customer", "customer_id"),
        # The live queue: waiting conversations counted by team for every wait estimate.
        Index("ix_conversations_status_team", "status", "team"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default=ConversationStatus.OPEN)
    team: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        # A channel's own message id is delivered at most once: webhook retries are no-ops.
        UniqueConstraint("channel", "external_id", name="uq_events_channel_external_id"),
        Index("ix_events_conversation", "conversation_id", "id"),
        Index("ix_events_caused_by", "caused_by"),
        Index("ix_events_kind", "kind", "id"),
        # A conversation's latest handoff (its queue priority), without scanning every
        # handoff: SQLite otherwise picks ix_events_kind and reads all of them per row.
        Index("ix_events_conversation_kind", "conversation_id", "kind", "id"),
        # Handoffs in the last hour, per team, for wait estimates.
        Index("ix_events_kind_created", "kind", "created_at"),
        # One decision per message, even if a retry and a resume race to record it.
        Index(
            "uq_events_decision_per_message",
            "caused_by",
            unique=True,
            sqlite_where=sql("kind = 'decision'"),
            postgresql_where=sql("kind = 'decision'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(255))
    caused_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("events.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageVector(Base):
    """A customer message's sentence vector, kept so the next turn's repeat-ask (in any worker,
    after a restart) reads it instead of embedding the message again."""

    __tablename__ = "message_vectors"

    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(100))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key``, scoped to the API key that sent it."""

    __tablename__ = "idempotency_keys"

    api_key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
