"""Credentials and permissions: API keys, delegated grants and approvals.

API keys: only a SHA-256 of the key is stored; the key itself is shown once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.conversations.models import new_id
from relaydesk.db import Base, JSONType, utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Grant(Base):
    """A customer's grant to an AI agent acting for them (a delegated agent).

    Only the SHA-256 of the current token is stored; rotating replaces it, so the old token
    stops working at once. ``expires_at`` and ``revoked_at`` end the grant for every token.
    """

    __tablename__ = "grants"
    __table_args__ = (Index("ix_grants_customer", "customer_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    agent_id: Mapped[str] = mapped_column(String(255))  # the agent's identity, e.g. its domain
    agent_name: Mapped[str | None] = mapped_column(String(255))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    refund_limit_cents: Mapped[int] = mapped_column(Integer, default=0)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    issued_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Approval(Base):
    """A person's approval of one exact action: bound by an HMAC over the action, its
    arguments, the resource, the conversation and the expiry. Used at most once."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    action_run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("action_runs.id"))
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    action: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(255))
    requested_by: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the actor chain
    team: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    binding: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    executed_run_id: Mapped[int | None] = mapped_column(BigInteger)
