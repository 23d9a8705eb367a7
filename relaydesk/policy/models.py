"""Tables of the policy part: versions and their activations, pilots, and decision records.

Decision records form a hash chain: each record's ``hash`` covers its ``body`` and the hash of
the record before it, and ``decision_chain_head`` holds the last one, so an edited, deleted,
reordered or truncated record is detected (``relaydesk audit verify``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, BigIntPK, utcnow


class PolicyVersion(Base):
    """A policy file as loaded: kept forever, so any decision can name the rules it ran."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64))  # the file's own `version`
    hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the source
    source: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text, default="")  # against the version active before
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PolicyActivation(Base):
    """Which version serves traffic: the latest activation wins. Rollback adds one."""

    __tablename__ = "policy_activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    activated_by: Mapped[str] = mapped_column(String(255))
    activated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(255))


class PolicyPilot(Base):
    """A candidate version serving a slice of traffic, beside a permanent holdout."""

    __tablename__ = "policy_pilots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    candidate_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    share: Mapped[float] = mapped_column(Float)  # of eligible conversations outside the holdout
    channels: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"only": [...]} or {}
    categories: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_by: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_by: Mapped[str | None] = mapped_column(String(255))
    stopped_at: Mapped[datetime | None]


class DecisionRecord(Base):
    """One decision, append-only, with the facts it saw (inside ``body``)."""

    __tablename__ = "decision_records"
    __table_args__ = (
        Index("ix_decision_records_created", "created_at", "seq"),
        Index("ix_decision_records_conversation", "conversation_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    policy_name: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str | None] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    # Canonical JSON of everything above plus the decision and its facts; the hash covers it.
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class DecisionChainHead(Base):
    """The last record of the chain (one row), so a truncated tail is detected."""

    __tablename__ = "decision_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutcomeKind(StrEnum):
    RESOLVED_BY_AI = "resolved_by_ai"
    RECONTACTED = "recontacted"  # the customer came back within 7 days
    HANDED_OVER = "handed_over"  # the AI kept it, and a person took over later
    CSAT = "csat"  # value: 1..5
    ESCALATION_UNNECESSARY = "escalation_unnecessary"  # a person judged the handoff needless
    ESCALATION_NECESSARY = "escalation_necessary"


class DecisionOutcome(Base):
    """What happened after a decision. Append-only; the latest of a kind is current."""

    __tablename__ = "decision_outcomes"
    __table_args__ = (Index("ix_decision_outcomes_decision", "decision_seq", "kind"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    decision_seq: Mapped[int] = mapped_column(BigInteger, ForeignKey("decision_records.seq"))
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
