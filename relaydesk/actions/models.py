"""Tables of actions: every request to run one (with its verdict), and the demo shop's effects.

``action_runs`` is append-only evidence: each row says who asked, for whom, what, on which
resource, what Cedar decided and which policies decided it, and what happened. A run proposed
by the message path carries its message and its place among the proposals, unique together,
so a retried or resumed message never runs an action twice.

``shop_effects`` is the demo shop's ledger of side effects (refunds, returns, changes): one row
per effect, written in the same transaction as the run that caused it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, BigIntPK, JSONType, utcnow


class RunStatus(StrEnum):
    RAN = "ran"
    DENIED = "denied"
    AWAITING_APPROVAL = "awaiting_approval"
    FAILED = "failed"  # allowed, but the runner failed (an HTTP error): nothing changed


class ActionRun(Base):
    __tablename__ = "action_runs"
    __table_args__ = (
        UniqueConstraint("message_id", "proposal_index", name="uq_action_runs_proposal"),
        Index("ix_action_runs_conversation", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str] = mapped_column(String(255))
    on_behalf_of: Mapped[str | None] = mapped_column(String(36))
    grant_id: Mapped[str | None] = mapped_column(String(36))
    actor_chain: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("events.id"))
    proposal_index: Mapped[int | None] = mapped_column(Integer)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16))  # Cedar's verdict: allow, deny, approval
    policies: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approval_id: Mapped[str | None] = mapped_column(String(36))
    decided_in_us: Mapped[int] = mapped_column(Integer, default=0)  # Cedar's latency
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShopEffect(Base):
    __tablename__ = "shop_effects"
    __table_args__ = (Index("ix_shop_effects_order", "order_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    action_run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("action_runs.id"))
    kind: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(36))
    order_id: Mapped[str | None] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
