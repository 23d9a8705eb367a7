"""Approvals: a person's yes to one exact action, used at most once, before it expires.

An approval is bound by an HMAC (keyed with the server's secret) over the action, its
arguments, the resource, the conversation, the run that asked and the expiry. Deciding it
checks, under a row lock, that it is still pending (a replay finds it used), that it has not
expired, that its stored fields still give its binding (a row altered in the database fails)
and that what the person was shown is what it binds (an altered request fails).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import new_id
from relaydesk.db import utcnow
from relaydesk.errors import Conflict, NotFound, RelaydeskError
from relaydesk.permissions.models import Approval


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    USED = "used"  # approved, and the action ran as the approver
    DENIED = "denied"


class ApprovalRefused(Conflict):
    """The approval cannot be used: replayed, altered, or decided already."""

    code = "approval_refused"


class ApprovalExpired(RelaydeskError):
    status_code: ClassVar[int] = 410
    code: ClassVar[str] = "approval_expired"


def binding_of(secret: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def bound_fields(approval: Approval) -> dict[str, Any]:
    return {
        "id": approval.id,
        "action_run_id": approval.action_run_id,
        "conversation_id": approval.conversation_id,
        "action": approval.action,
        "arguments": approval.arguments,
        "resource": f"{approval.resource_type}::{approval.resource_id}",
        "expires_at": approval.expires_at.astimezone(UTC).isoformat(),
    }


def request_approval(
    session: Session,
    secret: str,
    *,
    ttl: timedelta,
    **fields: Any,
) -> Approval:
    """A pending approval for the given run; ``fields`` are ``Approval`` columns."""
    expires = utcnow().replace(microsecond=0) + ttl
    approval = Approval(id=new_id(), expires_at=expires, status=ApprovalStatus.PENDING, **fields)
    approval.binding = binding_of(secret, bound_fields(approval))
    session.add(approval)
    session.flush()
    return approval


def lock(session: Session, approval_id: str) -> Approval:
    """The approval, locked until the transaction ends (PostgreSQL: SELECT ... FOR UPDATE;
    SQLite: writers are serialized already), so two people cannot both use it."""
    approval = session.scalar(select(Approval).where(Approval.id == approval_id).with_for_update())
    if approval is None:
        raise NotFound(f"approval {approval_id} does not exist")
    return approval


def check_usable(
    approval: Approval,
    secret: str,
    presented: str | None,
    arguments: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Refuses a decided, expired, tampered or altered approval; returns if it may be used."""
    if approval.status != ApprovalStatus.PENDING:
        raise ApprovalRefused(
            f"approval {approval.id} was already {approval.status}; it cannot be used again",
            status=approval.status,
        )
    if (now or utcnow()) >= approval.expires_at:
        expired = approval.expires_at.astimezone(UTC)
        raise ApprovalExpired(f"approval {approval.id} expired at {expired:%Y-%m-%d %H:%M:%S} UTC")
    if not hmac.compare_digest(binding_of(secret, bound_fields(approval)), approval.binding):
        raise ApprovalRefused(f"approval {approval.id} does not match its binding: refused")
    if presented is not None and not hmac.compare_digest(presented, approval.binding):
        raise ApprovalRefused(
            f"approval {approval.id} binds another action than the one presented: refused"
        )
    if arguments is not None and arguments != approval.arguments:
        raise ApprovalRefused(
            f"approval {approval.id} was given for other arguments than these: refused"
        )


def decide(approval: Approval, status: ApprovalStatus, decided_by: str) -> None:
    approval.status = status
    approval.decided_by = decided_by
    approval.decided_at = utcnow()


def pending(session: Session, limit: int = 100) -> list[Approval]:
    rows = session.scalars(
        select(Approval)
        .where(Approval.status == ApprovalStatus.PENDING, Approval.expires_at > utcnow())
        .order_by(Approval.created_at)
        .limit(limit)
    )
    return list(rows)


def pending_for(session: Session, conversation_id: str) -> list[Approval]:
    """A conversation's approvals still waiting for a person, oldest first."""
    rows = session.scalars(
        select(Approval)
        .where(
            Approval.conversation_id == conversation_id,
            Approval.status == ApprovalStatus.PENDING,
            Approval.expires_at > utcnow(),
        )
        .order_by(Approval.created_at)
    )
    return list(rows)
