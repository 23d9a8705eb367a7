"""How long a customer handed over now will wait for a person, from the live queue.

Two views of the same team, and the estimate is the larger:

- **Erlang C** (steady state): with ``s`` serving slots (the capacities of the team's
  available agents), arrivals ``λ`` (handoffs to the team in the last hour) and handle time
  ``h`` (the mean of the team's recent claims, or the team file's figure until there are
  enough), an arriving customer waits on average ``C(s, λh) · h / (s - λh)``.
- **The backlog** (right now): ``waiting`` customers are ahead of this one and ``free`` slots
  are idle. If ``waiting < free`` someone is free already; otherwise this customer is served at
  the ``waiting - free + 1``-th completion among ``s`` busy slots, each finishing at rate
  ``1/h``: ``(waiting - free + 1) · h / s``.

Erlang C alone ignores a queue that is already long; the backlog alone ignores the arrivals
that will compete for the same agents. Minutes are rounded up, and never below one: "about
0 minutes" is a promise nobody keeps. A team with nobody on shift, or outside its hours, gets
no number: the customer is told so, and when it opens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from relaydesk.capacity.erlang import erlang_c
from relaydesk.conversations.models import Conversation, ConversationStatus, Event, EventKind
from relaydesk.db import utcnow
from relaydesk.queue.models import Agent, AgentStatus, Claim
from relaydesk.queue.teams import Team, Teams

ARRIVAL_WINDOW = timedelta(hours=1)
HANDLE_WINDOW = timedelta(hours=8)
MIN_HANDLE_SAMPLES = 5  # fewer recent claims than this: the team file's handle time


class WaitEstimate(BaseModel):
    """What the customer is told about the wait for ``team``, and the numbers behind it."""

    model_config = ConfigDict(frozen=True)

    team: str
    label: str
    open: bool  # inside business hours
    staffed: bool  # someone available is on shift
    minutes: int | None  # None: closed or nobody on shift
    opens_at: datetime | None = None  # when closed: the next opening (company time zone)
    waiting: int = 0
    agents: int = 0
    slots: int = 0
    free_slots: int = 0
    arrivals_per_hour: float = 0.0
    handle_minutes: float = 0.0
    erlang_minutes: float | None = None  # None when the load exceeds the slots
    backlog_minutes: float = 0.0

    @property
    def phrase(self) -> str:
        """The wait in plain English: "about 4 minutes", or why there is no number."""
        if self.minutes is not None:
            return "about 1 minute" if self.minutes == 1 else f"about {self.minutes} minutes"
        if not self.open and self.opens_at is not None:
            return f"the team is offline until {self.opens_at:%A %H:%M}"
        return "nobody from the team is online right now"


@dataclass(frozen=True)
class TeamLoad:
    """The live queue of one team, as read from the store."""

    waiting: int
    agents: int
    slots: int
    busy_slots: int
    arrivals_last_hour: int
    handle_minutes: float | None  # None: too few recent claims to measure


def estimate(team: Team, load: TeamLoad, now: datetime) -> WaitEstimate:
    """The wait for a customer joining ``team``'s queue at ``now`` (company time zone)."""
    handle = load.handle_minutes if load.handle_minutes is not None else team.handle_minutes
    base = WaitEstimate(
        team=team.name,
        label=team.title,
        open=team.is_open(now),
        staffed=load.slots > 0,
        minutes=None,
        waiting=load.waiting,
        agents=load.agents,
        slots=load.slots,
        free_slots=max(load.slots - load.busy_slots, 0),
        arrivals_per_hour=float(load.arrivals_last_hour),
        handle_minutes=handle,
    )
    if not base.open:
        return base.model_copy(update={"opens_at": team.next_opening(now)})
    if not base.staffed:
        return base
    traffic = base.arrivals_per_hour / 60.0 * handle  # Erlangs
    erlang: float | None = None
    if traffic < load.slots:
        erlang = erlang_c(load.slots, traffic) * handle / (load.slots - traffic)
    ahead = load.waiting - base.free_slots + 1
    backlog = ahead * handle / load.slots if ahead > 0 else 0.0
    worst = max(erlang if erlang is not None else backlog, backlog)
    return base.model_copy(
        update={
            "minutes": max(1, math.ceil(worst - 1e-9)),
            "erlang_minutes": erlang,
            "backlog_minutes": backlog,
        }
    )


def read_loads(
    session: Session, names: list[str], now_utc: datetime | None = None
) -> dict[str, TeamLoad]:
    """Each team's live queue, in two round trips whatever the team count: one statement
    of per-team aggregates (waiting, handoffs in the last hour, recent handle time), one of
    the agents on shift with their active claims. On PostgreSQL each round trip is most of
    the cost (five separate queries took 12 ms a message)."""
    now_utc = now_utc or utcnow()
    zero = literal(0.0)
    minutes = _minutes_between(Claim.claimed_at, Claim.released_at, session)
    per_team = union_all(
        select(literal("waiting"), Conversation.team, func.count(), zero)
        .where(Conversation.status == ConversationStatus.WAITING_FOR_HUMAN)
        .group_by(Conversation.team),
        select(literal("arrivals"), Conversation.team, func.count(), zero)
        .join(Event, Event.conversation_id == Conversation.id)
        .where(Event.kind == EventKind.HANDOFF, Event.created_at >= now_utc - ARRIVAL_WINDOW)
        .group_by(Conversation.team),
        select(literal("handled"), Conversation.team, func.count(), func.sum(minutes))
        .join(Conversation, Conversation.id == Claim.conversation_id)
        .where(Claim.released_at >= now_utc - HANDLE_WINDOW)
        .group_by(Conversation.team),
    )
    waiting: dict[str | None, int] = {}
    arrivals: dict[str | None, int] = {}
    handled: dict[str | None, tuple[int, float]] = {}
    for what, team, count, total in session.execute(per_team).all():
        if what == "waiting":
            waiting[team] = int(count)
        elif what == "arrivals":
            arrivals[team] = int(count)
        else:
            handled[team] = (int(count), float(total or 0.0))
    active = (
        select(func.count())
        .where(Claim.agent_id == Agent.id, Claim.released_at.is_(None))
        .correlate(Agent)
        .scalar_subquery()
    )
    agents = session.execute(
        select(Agent.id, Agent.teams, Agent.capacity, active).where(
            Agent.status == AgentStatus.AVAILABLE
        )
    ).all()
    busy = {agent.id: int(agent[3]) for agent in agents}
    loads = {}
    for name in names:
        members = [agent for agent in agents if name in (agent.teams or [])]
        count, total = handled.get(name, (0, 0.0))
        loads[name] = TeamLoad(
            waiting=int(waiting.get(name, 0)),
            agents=len(members),
            slots=sum(agent.capacity for agent in members),
            busy_slots=sum(min(int(busy.get(agent.id, 0)), agent.capacity) for agent in members),
            arrivals_last_hour=int(arrivals.get(name, 0)),
            handle_minutes=float(total) / count if count >= MIN_HANDLE_SAMPLES else None,
        )
    return loads


def _minutes_between(start: Any, end: Any, session: Session) -> Any:
    """``end - start`` in minutes, computed by the database (no rows fetched to sum them)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 1440.0
    return func.extract("epoch", end - start) / 60.0


def wait_estimates(
    session: Session, teams: Teams, extra: list[str], now: datetime
) -> dict[str, WaitEstimate]:
    """Estimates for every team in the teams file and every name in ``extra`` (the teams the
    policy routes to), at ``now`` in the company's time zone."""
    names = list(dict.fromkeys([*teams.names, *extra]))
    loads = read_loads(session, names)
    return {name: estimate(teams.get(name), loads[name], now) for name in names}
