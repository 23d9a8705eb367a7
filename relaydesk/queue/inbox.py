"""The inbox: conversations waiting for or owned by a person, with their SLA timers.

The SLA is the team's target for the first reply from a person (``sla_minutes`` by priority in
the teams file), counted from the handoff. It is *met* once a person replies, *breached* when
the deadline passes first. Waiting conversations are listed in the order ``claim_next`` takes
them (priority, then oldest first), so the top of the inbox is the next claim.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Event,
    EventKind,
    Source,
)
from relaydesk.queue.claims import PRIORITY_RANK
from relaydesk.queue.models import Agent, Claim
from relaydesk.queue.teams import Teams

QUEUED = (ConversationStatus.WAITING_FOR_HUMAN, ConversationStatus.ASSIGNED)


class InboxRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversation_id: str
    status: str
    team: str | None
    team_label: str
    priority: str
    customer_name: str | None
    customer_email: str | None
    customer_tier: str | None
    ask: str
    handed_over_at: datetime | None
    sla_due: datetime | None
    first_reply_at: datetime | None
    owner_id: str | None
    owner_name: str | None
    fencing_token: int | None
    queued_since: datetime

    def sla_state(self, now: datetime) -> str:
        """``met``, ``breached``, ``at_risk`` (under a fifth of the target left) or ``ok``."""
        if self.sla_due is None:
            return "ok"
        if self.first_reply_at is not None:
            return "met" if self.first_reply_at <= self.sla_due else "breached"
        if now >= self.sla_due:
            return "breached"
        assert self.handed_over_at is not None
        target = self.sla_due - self.handed_over_at
        return "at_risk" if self.sla_due - now < target / 5 else "ok"

    def sla_seconds_left(self, now: datetime) -> float | None:
        if self.sla_due is None or self.first_reply_at is not None:
            return None
        return (self.sla_due - now).total_seconds()


def inbox(session: Session, teams: Teams, team_names: list[str] | None = None) -> list[InboxRow]:
    """Conversations waiting for a person or owned by one, in ``team_names`` (all when None):
    waiting ones first in claim order, then owned ones, oldest first."""
    query = (
        select(Conversation, Customer)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.status.in_(QUEUED))
    )
    if team_names is not None:
        query = query.where(Conversation.team.in_(team_names))
    found = session.execute(query).all()
    ids = [conversation.id for conversation, _ in found]
    if not ids:
        return []
    handoffs = _latest_handoffs(session, ids)
    replies = _first_replies(session, handoffs)
    owners = {
        claim.conversation_id: (claim, agent)
        for claim, agent in session.execute(
            select(Claim, Agent)
            .join(Agent, Agent.id == Claim.agent_id)
            .where(Claim.conversation_id.in_(ids), Claim.released_at.is_(None))
        ).all()
    }
    rows = []
    for conversation, customer in found:
        handoff = handoffs.get(conversation.id)
        payload = handoff.payload if handoff is not None else {}
        priority = str(payload.get("priority") or "normal")
        team = teams.get(conversation.team or "support")
        handed_at = handoff.created_at if handoff is not None else None
        owner = owners.get(conversation.id)
        rows.append(
            InboxRow(
                conversation_id=conversation.id,
                status=conversation.status,
                team=conversation.team,
                team_label=team.title,
                priority=priority,
                customer_name=customer.name,
                customer_email=customer.email,
                customer_tier=customer.tier,
                ask=str(payload.get("ask") or ""),
                handed_over_at=handed_at,
                sla_due=handed_at + team.sla_for(priority) if handed_at else None,
                first_reply_at=replies.get(conversation.id),
                owner_id=owner[1].id if owner else None,
                owner_name=owner[1].name if owner else None,
                fencing_token=owner[0].fencing_token if owner else None,
                queued_since=conversation.updated_at,
            )
        )
    rows.sort(key=_order)
    return rows


def _order(row: InboxRow) -> tuple[int, int, datetime, str]:
    waiting = row.status == ConversationStatus.WAITING_FOR_HUMAN
    rank = PRIORITY_RANK.get(row.priority, PRIORITY_RANK["normal"])
    return (0 if waiting else 1, -rank, row.queued_since, row.conversation_id)


def _latest_handoffs(session: Session, ids: list[str]) -> dict[str, Event]:
    latest = (
        select(func.max(Event.id))
        .where(Event.conversation_id.in_(ids), Event.kind == EventKind.HANDOFF)
        .group_by(Event.conversation_id)
    )
    events = session.scalars(select(Event).where(Event.id.in_(latest))).all()
    return {event.conversation_id: event for event in events}


def _first_replies(session: Session, handoffs: dict[str, Event]) -> dict[str, datetime]:
    """When a person first replied after each conversation's latest handoff."""
    if not handoffs:
        return {}
    floor = min(event.id for event in handoffs.values())
    rows = session.execute(
        select(Event.conversation_id, Event.id, Event.created_at).where(
            Event.conversation_id.in_(list(handoffs)),
            Event.kind == EventKind.MESSAGE_OUT,
            Event.source == Source.HUMAN_AGENT,
            Event.id > floor,
        )
    ).all()
    first: dict[str, datetime] = {}
    for conversation_id, event_id, created_at in rows:
        if event_id > handoffs[conversation_id].id and (
            conversation_id not in first or created_at < first[conversation_id]
        ):
            first[conversation_id] = created_at
    return first
