"""Claiming conversations from the human queue, and what an owner may do with one.

    claim_next / claim   ── one write transaction: lock the agent, pick (or lock) the
                            conversation, take a fencing token, insert the claim, set
                            ``assigned``, append the assignment and status events
    release / transfer / resolve / hand_back_to_ai
                         ── check_owner, then end the claim and move the conversation on

Fencing: every claim takes a token from the single ``queue_fencing`` row, so a later claim
always holds a larger token than any earlier one. An agent's client sends its token with each
write; ``check_owner`` refuses a token that is not the conversation's active claim, so an
agent whose claim was released (or who lost it to a reclaim) cannot write over the new owner.

Concurrency:
- PostgreSQL: candidates are read ``FOR UPDATE SKIP LOCKED``, so concurrent claimers each lock
  a different conversation instead of queueing on the first; the agent row is locked so two
  claims by one agent cannot both pass the capacity check.
- SQLite: ``db.write()`` begins IMMEDIATE, so writers (across processes too) are serialised.
- Both: the partial unique index ``uq_claims_active_conversation`` is the last line of
  defence; an IntegrityError means another claimer won, and the transaction is retried.

Queue order: highest priority first (the ``priority`` of the conversation's latest handoff
event: urgent > high > normal > low; no handoff counts as normal), then the conversation's
``updated_at`` (oldest first), then id. ``updated_at`` is set when the conversation is handed
over or released back to the queue, but also when the customer writes again while waiting,
which moves that conversation back in its priority band: good enough for now, and it needs no
extra column on ``conversations``. Every claim sorts all waiting candidates of the agent's
teams, so its cost grows with the queue; a queue of many thousands wants a priority column
and an index.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from relaydesk.conversations.models import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    Source,
)
from relaydesk.conversations.status import change_status
from relaydesk.db import Database, utcnow
from relaydesk.errors import Conflict, NotFound, Unprocessable
from relaydesk.policy import outcomes
from relaydesk.queue.models import (
    FENCING_ROW_ID,
    Agent,
    AgentRole,
    AgentStatus,
    Claim,
    QueueFencing,
)

# Retries after an IntegrityError: each one means another claimer committed first, so the
# next attempt sees their claim and picks something else.
CLAIM_ATTEMPTS = 5

PRIORITY_RANK = {"urgent": 3, "high": 2, "normal": 1, "low": 0}


class Released(StrEnum):
    """Why a claim ended (``claims.reason``)."""

    RELEASED = "released"
    REASSIGNED = "reassigned"
    TRANSFERRED = "transferred"
    RESOLVED = "resolved"
    HANDED_BACK = "handed_back_to_ai"


# --- claiming -----------------------------------------------------------------------------


def claim_next(db: Database, agent_id: str, teams: list[str] | None = None) -> Claim | None:
    """Claim the first conversation waiting in one of the agent's teams (narrowed to ``teams``
    when given), or return None when there is none or the agent is at capacity."""
    for _ in range(CLAIM_ATTEMPTS):
        try:
            with db.write() as session:
                return _claim_next_once(session, agent_id, teams)
        except IntegrityError:
            continue
    raise Conflict("could not claim a conversation under contention; retry")


def _claim_next_once(session: Session, agent_id: str, teams: list[str] | None) -> Claim | None:
    agent = _available_agent(session, agent_id)
    wanted = [team for team in agent.teams if teams is None or team in teams]
    if not wanted or _active_claims(session, agent.id) >= agent.capacity:
        return None
    skipped: list[str] = []
    while True:
        query = (
            select(Conversation)
            .where(
                Conversation.status == ConversationStatus.WAITING_FOR_HUMAN,
                Conversation.team.in_(wanted),
                Conversation.id.not_in(skipped),
            )
            .order_by(_priority_rank().desc(), Conversation.updated_at, Conversation.id)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Concurrent claimers skip rows another one has locked instead of waiting for it
            # and then finding it taken. PostgreSQL re-checks the WHERE on a row that changed
            # since the snapshot, so a conversation just assigned and committed is skipped too.
            query = query.with_for_update(skip_locked=True, of=Conversation)
        conversation = session.scalars(query).first()
        if conversation is None:
            return None
        # "Waiting" should mean "no active claim", but the status can be moved by code outside
        # this module. The check is one lookup in the partial unique index, made here rather
        # than as NOT EXISTS in the query: with stale statistics PostgreSQL planned that as a
        # scan of every active claim per candidate (35 ms a claim at 2,000 conversations).
        if _active_claim(session, conversation.id) is None:
            return _assign(session, agent, conversation)
        skipped.append(conversation.id)


def claim(db: Database, agent_id: str, conversation_id: str) -> Claim:
    """Claim one given conversation (open or waiting). Conflict if someone owns it, it is
    resolved, or the agent is at capacity. Team membership is not required: this is how a
    supervisor or specialist takes a conversation from outside their queue."""
    for _ in range(CLAIM_ATTEMPTS):
        try:
            with db.write() as session:
                return _claim_once(session, agent_id, conversation_id)
        except IntegrityError:
            continue
    raise Conflict(f"could not claim conversation {conversation_id} under contention; retry")


def _claim_once(session: Session, agent_id: str, conversation_id: str) -> Claim:
    agent = _available_agent(session, agent_id)
    conversation = _locked_conversation(session, conversation_id)
    owner = _active_claim(session, conversation_id)
    if owner is not None:
        raise Conflict(_owned_message(session, conversation_id, owner), claim_id=owner.id)
    if conversation.status == ConversationStatus.RESOLVED:
        raise Conflict(f"conversation {conversation_id} is resolved")
    active = _active_claims(session, agent.id)
    if active >= agent.capacity:
        raise Conflict(
            f"agent {agent.name} already has {active} conversations (capacity {agent.capacity})"
        )
    return _assign(session, agent, conversation)


def _assign(session: Session, agent: Agent, conversation: Conversation) -> Claim:
    # The token is taken last: on PostgreSQL its row lock is held until commit and every
    # claim in the system queues on it, so the less work after it, the better.
    claim = Claim(
        conversation_id=conversation.id,
        agent_id=agent.id,
        fencing_token=_next_token(session),
        claimed_at=utcnow(),
    )
    session.add(claim)
    session.flush()  # the partial unique index speaks here, before anything else is written
    session.add(
        Event(
            conversation_id=conversation.id,
            kind=EventKind.ASSIGNMENT,
            source=Source.HUMAN_AGENT,
            actor=agent.id,
            payload={
                "action": "claimed",
                "agent_id": agent.id,
                "claim_id": claim.id,
                "fencing_token": claim.fencing_token,
            },
        )
    )
    change_status(session, conversation, ConversationStatus.ASSIGNED, f"claimed by {agent.name}")
    session.flush()
    session.expunge(claim)
    return claim


def _next_token(session: Session) -> int:
    token: int | None = session.scalar(
        update(QueueFencing)
        .where(QueueFencing.id == FENCING_ROW_ID)
        .values(next_token=QueueFencing.next_token + 1)
        .returning(QueueFencing.next_token - 1)
    )
    if token is None:
        raise RuntimeError("queue_fencing is missing its row: run `relaydesk db upgrade`")
    return token


# --- what the owner does ------------------------------------------------------------------


def check_owner(session: Session, conversation_id: str, token: int) -> Claim:
    """The active claim of ``conversation_id`` if ``token`` is its fencing token; else Conflict.

    Call it first in the transaction of any write an agent makes. It locks the conversation
    row (PostgreSQL), so the claim cannot change hands between this check and the write."""
    _locked_conversation(session, conversation_id)
    owner = _active_claim(session, conversation_id)
    if owner is None:
        raise Conflict(
            f"conversation {conversation_id} is not claimed by anyone; "
            "your claim is no longer valid"
        )
    if owner.fencing_token != token:
        raise Conflict(
            _owned_message(session, conversation_id, owner) + "; your claim is no longer valid",
            claim_id=owner.id,
        )
    return owner


def release(db: Database, conversation_id: str, token: int) -> Claim:
    """Give the conversation back to its team's queue."""
    with db.write() as session:
        return _end(session, conversation_id, token, Released.RELEASED, None)


def transfer(db: Database, conversation_id: str, token: int, team: str) -> Claim:
    """Release the conversation into another team's queue."""
    if not team.strip():
        raise Unprocessable("a transfer needs a team")
    with db.write() as session:
        return _end(session, conversation_id, token, Released.TRANSFERRED, team)


def resolve(db: Database, conversation_id: str, token: int) -> Claim:
    with db.write() as session:
        return _end(session, conversation_id, token, Released.RESOLVED, None)


def hand_back_to_ai(db: Database, conversation_id: str, token: int) -> Claim:
    """End the claim and set the conversation open: the AI answers the next message again."""
    with db.write() as session:
        return _end(session, conversation_id, token, Released.HANDED_BACK, None)


_NEXT_STATUS = {
    Released.RELEASED: ConversationStatus.WAITING_FOR_HUMAN,
    Released.REASSIGNED: ConversationStatus.ASSIGNED,
    Released.TRANSFERRED: ConversationStatus.WAITING_FOR_HUMAN,
    Released.RESOLVED: ConversationStatus.RESOLVED,
    Released.HANDED_BACK: ConversationStatus.OPEN,
}


def _end(
    session: Session, conversation_id: str, token: int, reason: Released, team: str | None
) -> Claim:
    owner = check_owner(session, conversation_id, token)
    conversation = session.get(Conversation, conversation_id)
    assert conversation is not None  # check_owner found it
    now = utcnow()
    owner.released_at = now
    owner.reason = reason
    payload: dict[str, object] = {"action": reason, "agent_id": owner.agent_id}
    payload |= {"claim_id": owner.id, "fencing_token": owner.fencing_token}
    if team is not None:
        payload |= {"from_team": conversation.team, "to_team": team}
        conversation.team = team
    session.add(
        Event(
            conversation_id=conversation_id,
            kind=EventKind.ASSIGNMENT,
            source=Source.HUMAN_AGENT,
            actor=owner.agent_id,
            payload=payload,
        )
    )
    change_status(session, conversation, _NEXT_STATUS[reason], reason)
    # Back in a queue, it waits from now: updated_at orders the queue within a priority.
    conversation.updated_at = now
    if reason == Released.RESOLVED:
        outcomes.on_conversation_resolved(session, conversation_id, owner.agent_id)
    session.flush()
    session.expunge(owner)
    return owner


def reassign(
    db: Database, conversation_id: str, to_agent_id: str, by_agent_id: str, token: int | None
) -> Claim:
    """Move an owned conversation to another agent in one transaction, so it is never
    unowned in between. The owner reassigns with their token; an admin may without one."""
    for _ in range(CLAIM_ATTEMPTS):
        try:
            with db.write() as session:
                by = session.get(Agent, by_agent_id)
                if by is None:
                    raise NotFound(f"agent {by_agent_id} does not exist")
                if token is None:
                    if by.role != AgentRole.ADMIN:
                        raise Conflict(
                            "only the owner (with their claim token) or an admin may reassign"
                        )
                    owner = _active_claim(session, conversation_id)
                    if owner is None:
                        raise Conflict(f"conversation {conversation_id} is not claimed by anyone")
                    token = owner.fencing_token
                to_agent = _available_agent(session, to_agent_id)
                active = _active_claims(session, to_agent.id)
                if active >= to_agent.capacity:
                    raise Conflict(
                        f"agent {to_agent.name} already has {active} conversations "
                        f"(capacity {to_agent.capacity})"
                    )
                _end(session, conversation_id, token, Released.REASSIGNED, None)
                session.flush()  # the old claim is released before the new one is inserted
                return _assign(session, to_agent, _locked_conversation(session, conversation_id))
        except IntegrityError:
            continue
    raise Conflict(f"could not reassign conversation {conversation_id} under contention; retry")


def assign_waiting(db: Database, teams: list[str]) -> list[Claim]:
    """Auto-assignment for ``teams``: every available agent of those teams with spare
    capacity claims the next waiting conversation, least-loaded agents first, until the
    queues are empty or everyone is full. Safe to call from any number of processes."""
    if not teams:
        return []
    with db.read() as session:
        agents = session.scalars(select(Agent).where(Agent.status == AgentStatus.AVAILABLE)).all()
        candidates = [a.id for a in agents if set(a.teams or []) & set(teams)]
        load = {agent_id: _active_claims(session, agent_id) for agent_id in candidates}
    claimed: list[Claim] = []
    progress = True
    while progress:
        progress = False
        for agent_id in sorted(load, key=lambda a: (load[a], a)):
            try:
                got = claim_next(db, agent_id, teams)
            except Conflict:  # the agent went away meanwhile
                del load[agent_id]
                progress = True
                break
            if got is not None:
                claimed.append(got)
                load[agent_id] += 1
                progress = True
    return claimed


# --- helpers ------------------------------------------------------------------------------


def _available_agent(session: Session, agent_id: str) -> Agent:
    # Locked so one agent's concurrent claims cannot both pass the capacity check.
    agent = session.get(Agent, agent_id, with_for_update=True)
    if agent is None:
        raise NotFound(f"agent {agent_id} does not exist")
    if agent.status != AgentStatus.AVAILABLE:
        raise Conflict(f"agent {agent.name} is {agent.status}, not available")
    return agent


def _locked_conversation(session: Session, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    return conversation


def _active_claim_of(conversation_id: InstrumentedAttribute[str] | str) -> ColumnElement[bool]:
    return (Claim.conversation_id == conversation_id) & Claim.released_at.is_(None)


def _active_claim(session: Session, conversation_id: str) -> Claim | None:
    return session.scalars(select(Claim).where(_active_claim_of(conversation_id))).first()


def _active_claims(session: Session, agent_id: str) -> int:
    query = select(func.count()).where(Claim.agent_id == agent_id, Claim.released_at.is_(None))
    return session.scalar(query) or 0


def _owned_message(session: Session, conversation_id: str, owner: Claim) -> str:
    agent = session.get(Agent, owner.agent_id)
    name = agent.name if agent is not None else owner.agent_id
    return f"conversation {conversation_id} is owned by {name} (claim {owner.id})"


def _priority_rank() -> ColumnElement[int]:
    """The rank of the priority of the conversation's latest handoff, per candidate row."""
    latest = (
        select(Event.payload["priority"].as_string())
        .where(Event.conversation_id == Conversation.id, Event.kind == EventKind.HANDOFF)
        .order_by(Event.id.desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    return case(PRIORITY_RANK, value=latest, else_=PRIORITY_RANK["normal"])


__all__ = [
    "CLAIM_ATTEMPTS",
    "Released",
    "assign_waiting",
    "check_owner",
    "claim",
    "claim_next",
    "hand_back_to_ai",
    "reassign",
    "release",
    "resolve",
    "transfer",
]
