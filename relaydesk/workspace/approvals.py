"""Approvals on the conversation page: what waits for a person, as the page shows it.

The Approve / Deny buttons (``relaydesk.workspace.conversation``) post the binding the page
showed, so a person approves exactly the action they saw (``relaydesk.permissions.approvals``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaydesk.errors import NotFound
from relaydesk.permissions import approvals
from relaydesk.permissions.models import Approval

KINDS = {"delegated_agent": "AI agent", "ai": "Relaydesk AI", "customer": "the customer"}


@dataclass(frozen=True)
class ApprovalView:
    id: str
    conversation_id: str
    action: str
    arguments: str  # "order_id=SR-20417, amount=60.00"
    resource: str  # "Order SR-20417"
    asked_by: str  # "shopper.example (AI agent) for the customer"
    team: str
    reason: str
    expires_at: datetime
    binding: str


def asked_by(chain: dict[str, Any]) -> str:
    """Who asked, from the stored actor chain (RFC 8693 ``act`` shape)."""
    act = chain.get("act")
    if isinstance(act, dict):
        kind = KINDS.get(str(act.get("kind")), str(act.get("kind") or "someone"))
        who = "Relaydesk AI" if act.get("kind") == "ai" else f"{act.get('sub')} ({kind})"
        return f"{who} for the customer"
    return f"{KINDS.get(str(chain.get('kind')), chain.get('kind') or 'someone')}"


def view(approval: Approval) -> ApprovalView:
    return ApprovalView(
        id=approval.id,
        conversation_id=approval.conversation_id or "",
        action=approval.action,
        arguments=", ".join(f"{k}={v}" for k, v in approval.arguments.items()),
        resource=f"{approval.resource_type} {approval.resource_id}",
        asked_by=asked_by(approval.requested_by or {}),
        team=approval.team,
        reason=approval.reason,
        expires_at=approval.expires_at,
        binding=approval.binding,
    )


def pending_views(session: Session, conversation_id: str) -> list[ApprovalView]:
    return [view(a) for a in approvals.pending_for(session, conversation_id)]


def check_here(session: Session, conversation_id: str, approval_id: str) -> None:
    """The approval must be this conversation's: the page decides only what it shows."""
    approval = session.get(Approval, approval_id)
    if approval is None or approval.conversation_id != conversation_id:
        raise NotFound(f"approval {approval_id} is not in this conversation")
