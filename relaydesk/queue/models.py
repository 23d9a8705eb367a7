"""Tables of the human queue: agents, their claims on conversations, and the fencing counter.

Ownership lives in ``claims``, not on ``conversations``: a claim is active while
``released_at`` is NULL, and a partial unique index allows one active claim per conversation,
so a double assignment fails in the database even if the code that picks work is wrong.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.conversations.models import new_id
from relaydesk.db import Base, BigIntPK, JSONType, utcnow

FENCING_ROW_ID = 1


class AgentRole(StrEnum):
    AGENT = "agent"
    SPECIALIST = "specialist"
    QA = "qa"
    KNOWLEDGE_OPS = "knowledge_ops"
    ADMIN = "admin"


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class Agent(Base):
    """A person who takes conversations from the queue."""

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="ck_agents_capacity"),
        CheckConstraint(
            "role IN ('agent', 'specialist', 'qa', 'knowledge_ops', 'admin')",
            name="ck_agents_role",
        ),
        CheckConstraint("status IN ('available', 'away', 'offline')", name="ck_agents_status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(32), default=AgentRole.AGENT)
    teams: Mapped[list[str]] = mapped_column(JSONType, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=1)  # conversations at once
    status: Mapped[str] = mapped_column(String(32), default=AgentStatus.AVAILABLE)
    # scrypt, see relaydesk.queue.agents; None: the agent cannot sign in to the workspace.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Claim(Base):
    """An agent's ownership of a conversation, from ``claimed_at`` until ``released_at``."""

    __tablename__ = "claims"
    __table_args__ = (
        # The last line of defence against double assignment.
        Index(
            "uq_claims_active_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=sql("released_at IS NULL"),
            postgresql_where=sql("released_at IS NULL"),
        ),
        # Counting an agent's active claims (capacity) reads only this index.
        Index("ix_claims_agent_active", "agent_id", "released_at"),
        # Claims released recently: the handle time in wait estimates.
        Index("ix_claims_released", "released_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    fencing_token: Mapped[int] = mapped_column(BigInteger, unique=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(64))  # why it was released


class QueueFencing(Base):
    """One row: the next fencing token. Taking one locks the row until the claim commits, so
    tokens are handed out in commit order and every claim's token beats all earlier ones."""

    __tablename__ = "queue_fencing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_token: Mapped[int] = mapped_column(BigInteger)
