"""Wait estimates: Erlang C and the backlog, by hand, and read from a live queue."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_claims import add_agent, waiting

from relaydesk.conversations.models import Conversation, Customer, Event, EventKind, Source
from relaydesk.db import Database, utcnow
from relaydesk.queue.claims import claim_next, release
from relaydesk.queue.models import AgentStatus, Claim
from relaydesk.queue.teams import Team, Teams
from relaydesk.queue.wait import TeamLoad, estimate, read_loads, wait_estimates

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Monday
TEAM = Team(name="billing", label="Billing", handle_minutes=10)


def load(**fields: object) -> TeamLoad:
    given: dict[str, object] = {
        "waiting": 0,
        "agents": 2,
        "slots": 2,
        "busy_slots": 0,
        "arrivals_last_hour": 0,
        "handle_minutes": None,
    }
    return TeamLoad(**(given | fields))  # type: ignore[arg-type]


def test_an_idle_team_promises_one_minute_not_zero() -> None:
    wait = estimate(TEAM, load(), NOON)
    assert (wait.minutes, wait.erlang_minutes, wait.backlog_minutes) == (1, 0.0, 0.0)
    assert wait.phrase == "about 1 minute"


def test_erlang_c_for_a_steady_load() -> None:
    # 6 an hour * 10 min = 1 Erlang on 2 slots: C(2, 1) = 1/3, so W = (1/3) * 10 / (2 - 1).
    wait = estimate(TEAM, load(arrivals_last_hour=6), NOON)
    assert wait.erlang_minutes == pytest.approx(10 / 3)
    assert wait.minutes == 4
    assert wait.phrase == "about 4 minutes"


def test_a_backlog_behind_busy_agents() -> None:
    # Both slots busy, 5 ahead: served at the 6th completion of 2 slots finishing every
    # 10 minutes each → 6 * 10 / 2 = 30 minutes.
    wait = estimate(TEAM, load(waiting=5, busy_slots=2), NOON)
    assert wait.backlog_minutes == pytest.approx(30)
    assert wait.minutes == 30


def test_the_larger_of_the_two_views_wins() -> None:
    # Overloaded (3 Erlangs on 2 slots): Erlang C has no steady state; the backlog decides.
    overloaded = estimate(TEAM, load(arrivals_last_hour=18, waiting=1, busy_slots=2), NOON)
    assert overloaded.erlang_minutes is None
    assert overloaded.minutes == 10  # (1 + 1) * 10 / 2
    # A free slot and nobody ahead, but arrivals keep the agents busy: Erlang C decides.
    busy = estimate(TEAM, load(arrivals_last_hour=9, busy_slots=1), NOON)
    assert busy.backlog_minutes == 0
    assert busy.minutes == math.ceil(busy.erlang_minutes or 0) > 1


def test_measured_handle_time_replaces_the_team_file() -> None:
    wait = estimate(TEAM, load(waiting=3, busy_slots=2, handle_minutes=4.0), NOON)
    assert wait.handle_minutes == 4.0
    assert wait.minutes == 8  # (3 + 1) * 4 / 2


def test_a_closed_team_says_when_it_opens() -> None:
    team = Team(name="senior", hours={"mon-fri": "14:00-18:00"})  # type: ignore[arg-type]
    wait = estimate(team, load(), NOON)
    assert (wait.open, wait.minutes) == (False, None)
    assert wait.opens_at == NOON.replace(hour=14)
    assert wait.phrase == "the team is offline until Monday 14:00"


def test_nobody_on_shift_gets_no_number() -> None:
    wait = estimate(TEAM, load(agents=0, slots=0), NOON)
    assert (wait.open, wait.staffed, wait.minutes) == (True, False, None)
    assert wait.phrase == "nobody from the team is online right now"


def handed_over(database: Database, team: str, when: datetime) -> None:
    with database.write() as session:
        customer = Customer(email=f"{team}-{when.timestamp()}@example.com")
        session.add(customer)
        session.flush()
        conversation = Conversation(customer_id=customer.id, channel="web", team=team)
        session.add(conversation)
        session.flush()
        session.add(
            Event(
                conversation_id=conversation.id,
                kind=EventKind.HANDOFF,
                source=Source.AI_AGENT,
                payload={"team": team},
                created_at=when,
            )
        )


def test_the_live_queue_is_read_per_team(database: Database) -> None:
    ann = add_agent(database, "Ann", ["billing", "frontline"], capacity=2)
    add_agent(database, "Bob", ["billing"], capacity=3)
    add_agent(database, "Cy", ["billing"], status=AgentStatus.AWAY)  # not on shift
    for age in range(4):
        waiting(database, team="billing", age=age)
    waiting(database, team="frontline")
    assert claim_next(database, ann, ["billing"]) is not None
    now = utcnow()
    handed_over(database, "billing", now - timedelta(minutes=10))
    handed_over(database, "billing", now - timedelta(hours=2))  # outside the hour
    with database.read() as session:
        loads = read_loads(session, ["billing", "frontline", "x"])
    assert loads["billing"] == TeamLoad(
        waiting=3, agents=2, slots=5, busy_slots=1, arrivals_last_hour=1, handle_minutes=None
    )
    assert loads["frontline"].waiting == 1
    assert loads["frontline"].busy_slots == 1  # Ann's claim counts against all her teams
    assert loads["x"] == TeamLoad(0, 0, 0, 0, 0, None)


def test_handle_time_is_measured_from_recent_claims(database: Database) -> None:
    ann = add_agent(database, "Ann", ["billing"], capacity=10)
    for age in range(5):
        waiting(database, team="billing", age=age)
    claimed = [claim_next(database, ann) for _ in range(5)]
    for got in claimed:
        assert got is not None
        release(database, got.conversation_id, got.fencing_token)
    # Make every claim last exactly 6 minutes.
    with database.write() as session:
        for row in session.query(Claim).all():
            row.claimed_at = row.released_at - timedelta(minutes=6)  # type: ignore[operator]
    with database.read() as session:
        loads = read_loads(session, ["billing"])
    assert loads["billing"].handle_minutes == pytest.approx(6.0)


def test_estimates_cover_the_teams_file_and_the_policy_teams(database: Database) -> None:
    add_agent(database, "Ann", ["billing"])
    teams = Teams(teams=(TEAM,))
    with database.read() as session:
        waits = wait_estimates(session, teams, ["frontline"], datetime.now(UTC))
    assert sorted(waits) == ["billing", "frontline"]
    assert waits["billing"].minutes == 1
    assert waits["frontline"].minutes is None  # nobody on shift
