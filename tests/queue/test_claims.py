"""Claims on SQLite and PostgreSQL: capacity, teams, priority, fencing, and transitions."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from relaydesk.conversations.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Event,
    EventKind,
    Source,
)
from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database
from relaydesk.errors import Conflict, NotFound
from relaydesk.pipeline import Parts
from relaydesk.queue.claims import (
    check_owner,
    claim,
    claim_next,
    hand_back_to_ai,
    release,
    resolve,
    transfer,
)
from relaydesk.queue.models import Agent, AgentStatus, Claim

_numbers = itertools.count()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def add_agent(
    database: Database,
    name: str,
    teams: list[str],
    capacity: int = 5,
    status: AgentStatus = AgentStatus.AVAILABLE,
) -> str:
    with database.write() as session:
        agent = Agent(
            name=name,
            email=f"{name.lower()}-{next(_numbers)}@example.com",
            teams=teams,
            capacity=capacity,
            status=status,
        )
        session.add(agent)
        session.flush()
        return agent.id


def waiting(database: Database, team: str = "frontline", age: int = 0, priority: str = "") -> str:
    """A conversation waiting for a person; older for a larger ``age`` (minutes)."""
    with database.write() as session:
        customer = Customer(email=f"c{next(_numbers)}@example.com")
        session.add(customer)
        session.flush()
        conversation = Conversation(
            customer_id=customer.id,
            channel="web",
            status=ConversationStatus.WAITING_FOR_HUMAN,
            team=team,
            updated_at=T0 - timedelta(minutes=age),
        )
        session.add(conversation)
        session.flush()
        if priority:
            session.add(
                Event(
                    conversation_id=conversation.id,
                    kind=EventKind.HANDOFF,
                    source=Source.AI_AGENT,
                    payload={"team": team, "priority": priority},
                )
            )
        return conversation.id


def status_of(database: Database, conversation_id: str) -> tuple[str, str | None]:
    with database.read() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.status, conversation.team


def active_claims(database: Database, conversation_id: str) -> list[Claim]:
    with database.read() as session:
        query = select(Claim).where(
            Claim.conversation_id == conversation_id, Claim.released_at.is_(None)
        )
        return list(session.scalars(query))


def test_claim_next_takes_priority_then_the_oldest(database: Database) -> None:
    agent = add_agent(database, "Ann", ["frontline"])
    newest = waiting(database, age=1)
    oldest = waiting(database, age=30)
    urgent = waiting(database, age=0, priority="urgent")
    low = waiting(database, age=60, priority="low")
    order = [claim_next(database, agent) for _ in range(4)]
    assert [c.conversation_id for c in order if c is not None] == [urgent, oldest, newest, low]
    assert status_of(database, urgent) == ("assigned", "frontline")
    with database.read() as session:
        kinds = session.scalars(
            select(Event.kind).where(Event.conversation_id == oldest).order_by(Event.id)
        ).all()
    assert kinds == [EventKind.ASSIGNMENT, EventKind.STATUS_CHANGE]


def test_capacity_is_respected(database: Database) -> None:
    agent = add_agent(database, "Ann", ["frontline"], capacity=2)
    for age in range(3):
        waiting(database, age=age)
    first, second = claim_next(database, agent), claim_next(database, agent)
    assert first is not None
    assert second is not None
    assert claim_next(database, agent) is None  # full
    third = waiting(database)
    with pytest.raises(Conflict, match="capacity 2"):
        claim(database, agent, third)
    release(database, first.conversation_id, first.fencing_token)
    assert claim_next(database, agent) is not None  # room again


def test_teams_are_respected(database: Database) -> None:
    billing = waiting(database, team="billing", age=10)
    frontline = waiting(database, team="frontline")
    agent = add_agent(database, "Ann", ["frontline", "tech"])
    got = claim_next(database, agent)
    assert got is not None
    assert got.conversation_id == frontline
    assert claim_next(database, agent) is None  # billing is not Ann's team
    assert status_of(database, billing) == ("waiting_for_human", "billing")
    both = add_agent(database, "Bob", ["billing", "frontline"])
    assert claim_next(database, both, teams=["tech"]) is None  # narrowed to none of his
    narrowed = claim_next(database, both, teams=["billing"])
    assert narrowed is not None
    assert narrowed.conversation_id == billing


def test_an_unavailable_agent_claims_nothing(database: Database) -> None:
    waiting(database)
    away = add_agent(database, "Ann", ["frontline"], status=AgentStatus.AWAY)
    with pytest.raises(Conflict, match="Ann is away"):
        claim_next(database, away)
    with pytest.raises(NotFound):
        claim_next(database, "no-such-agent")


def test_claiming_an_owned_conversation_names_the_owner(database: Database) -> None:
    conversation = waiting(database)
    ann = add_agent(database, "Ann", ["frontline"])
    bob = add_agent(database, "Bob", ["frontline"])
    owned = claim(database, ann, conversation)
    with pytest.raises(Conflict, match=f"owned by Ann \\(claim {owned.id}\\)"):
        claim(database, bob, conversation)
    assert [c.id for c in active_claims(database, conversation)] == [owned.id]


def test_a_stale_token_is_refused_after_release_and_reclaim(database: Database) -> None:
    conversation = waiting(database)
    ann = add_agent(database, "Ann", ["frontline"])
    bob = add_agent(database, "Bob", ["frontline"])
    first = claim(database, ann, conversation)
    release(database, conversation, first.fencing_token)
    assert status_of(database, conversation) == ("waiting_for_human", "frontline")
    second = claim_next(database, bob)
    assert second is not None
    assert second.fencing_token > first.fencing_token
    with pytest.raises(Conflict, match=r"owned by Bob .*your claim is no longer valid"):
        resolve(database, conversation, first.fencing_token)
    with database.read() as session, pytest.raises(Conflict, match="owned by Bob"):
        check_owner(session, conversation, first.fencing_token)
    # Nothing was written by the refused call.
    assert status_of(database, conversation) == ("assigned", "frontline")
    assert [c.id for c in active_claims(database, conversation)] == [second.id]
    with database.read() as session:
        assert check_owner(session, conversation, second.fencing_token).id == second.id


def test_a_released_token_is_refused_when_nobody_owns_it(database: Database) -> None:
    conversation = waiting(database)
    ann = add_agent(database, "Ann", ["frontline"])
    first = claim(database, ann, conversation)
    release(database, conversation, first.fencing_token)
    with pytest.raises(Conflict, match="not claimed by anyone"):
        release(database, conversation, first.fencing_token)


def test_transfer_resolve_and_hand_back(database: Database) -> None:
    ann = add_agent(database, "Ann", ["frontline"])
    bob = add_agent(database, "Bob", ["billing"])
    conversation = waiting(database)
    first = claim(database, ann, conversation)
    ended = transfer(database, conversation, first.fencing_token, "billing")
    assert (ended.reason, ended.released_at is not None) == ("transferred", True)
    assert status_of(database, conversation) == ("waiting_for_human", "billing")
    assert claim_next(database, ann) is None  # no longer in Ann's queue
    second = claim_next(database, bob)
    assert second is not None
    assert second.conversation_id == conversation
    resolve(database, conversation, second.fencing_token)
    assert status_of(database, conversation) == ("resolved", "billing")
    assert active_claims(database, conversation) == []
    with pytest.raises(Conflict, match="resolved"):
        claim(database, bob, conversation)

    other = waiting(database)
    third = claim(database, ann, other)
    hand_back_to_ai(database, other, third.fencing_token)
    assert status_of(database, other) == ("open", "frontline")
    assert claim_next(database, ann) is None  # the AI has it, not the queue
    with database.read() as session:
        actions = session.scalars(
            select(Event.payload).where(
                Event.conversation_id == other, Event.kind == EventKind.ASSIGNMENT
            )
        ).all()
    assert [a["action"] for a in actions] == ["claimed", "handed_back_to_ai"]


def test_a_handed_over_message_lands_in_the_queue(database: Database, parts: Parts) -> None:
    message = MessageCreate.model_validate({"channel": "web", "text": "I want a human"})
    stored = handle_message(database, parts, Inbound(message))
    agent = add_agent(database, "Ann", ["frontline"])
    got = claim_next(database, agent)
    assert got is not None
    with database.read() as session:
        event = session.get(Event, stored.message_id)
        assert event is not None
        assert event.conversation_id == got.conversation_id
    assert status_of(database, got.conversation_id) == ("assigned", "frontline")


def test_a_waiting_conversation_that_is_still_claimed_is_skipped(database: Database) -> None:
    ann = add_agent(database, "Ann", ["frontline"])
    stuck = waiting(database, age=10)
    free = waiting(database)
    claim(database, ann, stuck)
    with database.write() as session:  # moved back by code that ignored the claim
        conversation = session.get(Conversation, stuck)
        assert conversation is not None
        conversation.status = ConversationStatus.WAITING_FOR_HUMAN
    got = claim_next(database, ann)
    assert got is not None
    assert got.conversation_id == free
    assert claim_next(database, ann) is None
