"""The reads the workspace makes that the queue and conversation stores do not offer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from relaydesk.conversations.models import Conversation, Customer, Event, EventKind
from relaydesk.errors import NotFound
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.records import read_body
from relaydesk.queue.models import Agent, Claim


@dataclass(frozen=True)
class Owner:
    claim_id: int
    fencing_token: int
    agent_id: str
    name: str
    claimed_at: datetime


@dataclass(frozen=True)
class FlagRow:
    id: int
    at: datetime
    conversation_id: str
    reason: str
    by: str
    by_role: str
    answer: str
    answer_at: datetime | None


def conversation_and_customer(
    session: Session, conversation_id: str
) -> tuple[Conversation, Customer]:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None  # a foreign key
    return conversation, customer


def events_after(session: Session, conversation_id: str, after: int = 0) -> Sequence[Event]:
    query = (
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.id > after)
        .order_by(Event.id)
    )
    return session.scalars(query).all()


def owner_of(session: Session, conversation_id: str) -> Owner | None:
    """The agent holding the conversation's active claim."""
    row = session.execute(
        select(Claim, Agent)
        .join(Agent, Agent.id == Claim.agent_id)
        .where(Claim.conversation_id == conversation_id, Claim.released_at.is_(None))
    ).first()
    if row is None:
        return None
    claim, agent = row
    return Owner(claim.id, claim.fencing_token, agent.id, agent.name, claim.claimed_at)


def claim_with_token(session: Session, fencing_token: int) -> tuple[Claim, str] | None:
    """The claim that was given ``fencing_token`` (active or not), and its agent's name."""
    row = session.execute(
        select(Claim, Agent.name)
        .join(Agent, Agent.id == Claim.agent_id)
        .where(Claim.fencing_token == fencing_token)
    ).first()
    return None if row is None else (row[0], row[1])


def agent_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(wanted))).all()
    return {row.id: row.name for row in rows}


def teams_of_my_claims(session: Session, agent_id: str) -> list[str]:
    """The teams of the conversations the agent owns now (they may be outside their teams)."""
    rows = session.scalars(
        select(Conversation.team)
        .join(Claim, Claim.conversation_id == Conversation.id)
        .where(Claim.agent_id == agent_id, Claim.released_at.is_(None))
    ).all()
    return sorted({team for team in rows if team})


def decision_facts(session: Session, message_id: int | None) -> dict[str, Any]:
    """The facts the decision on ``message_id`` saw, from its decision record ({} if none)."""
    if message_id is None:
        return {}
    record = session.scalars(
        select(DecisionRecord).where(DecisionRecord.message_id == message_id)
    ).first()
    if record is None:
        return {}
    facts = read_body(record).get("facts")
    return facts if isinstance(facts, dict) else {}


def flags(session: Session, before: int | None = None, limit: int = 50) -> list[FlagRow]:
    """Flagged AI answers, newest first, with the answer and who flagged it."""
    answer = aliased(Event)
    query = (
        select(Event, answer.text, answer.created_at)
        .outerjoin(answer, answer.id == Event.caused_by)
        .where(Event.kind == EventKind.FLAG)
        .order_by(Event.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Event.id < before)
    rows = []
    for flag, answer_text, answer_at in session.execute(query).all():
        agent = flag.payload.get("agent") or {}
        rows.append(
            FlagRow(
                id=flag.id,
                at=flag.created_at,
                conversation_id=flag.conversation_id,
                reason=flag.text or "",
                by=str(agent.get("name") or flag.actor or "someone"),
                by_role=str(agent.get("role") or ""),
                answer=answer_text or "",
                answer_at=answer_at,
            )
        )
    return rows


def flag_reasons(session: Session, message_id: int) -> list[str]:
    query = (
        select(Event.text)
        .where(Event.kind == EventKind.FLAG, Event.caused_by == message_id)
        .order_by(Event.id)
    )
    return [text or "" for text in session.scalars(query)]


def latest_handoff(session: Session, conversation_id: str) -> Event | None:
    query = (
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.kind == EventKind.HANDOFF)
        .order_by(Event.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
