"""Teams: who takes which conversations, when they are open, and their SLA targets.

A YAML file the company edits (the demo ships ``relaydesk/demo/teams.yaml``)::

    teams:
      - name: billing
        label: Billing
        skills: [billing, refunds, payment_dispute]
        hours: {mon-fri: "08:00-18:00", sat: "10:00-14:00"}   # company time zone
        sla_minutes: {urgent: 5, high: 15, normal: 60, low: 240}  # first human reply
        handle_minutes: 12      # until there are enough recent claims to measure it
        assignment: pull        # pull: agents claim; auto: assigned on handoff

``hours`` may be ``always``. A team missing from the file (a policy may name any team) is
open always, with the default SLA and handle time, so that no handoff is ever refused for
want of configuration.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from relaydesk.errors import Unprocessable

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SLA_MINUTES: dict[str, float] = {"urgent": 5, "high": 15, "normal": 60, "low": 240}
DEFAULT_HANDLE_MINUTES = 10.0
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class Team(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    label: str = ""
    skills: tuple[str, ...] = ()
    # weekday index (0 = Monday) → (open, close) in the company's time zone; empty = always.
    hours: dict[int, tuple[time, time]] = Field(default_factory=dict)
    sla_minutes: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SLA_MINUTES))
    handle_minutes: float = Field(default=DEFAULT_HANDLE_MINUTES, gt=0)
    assignment: Literal["pull", "auto"] = "pull"

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: object) -> object:
        if value in (None, "always"):
            return {}
        if not isinstance(value, dict):
            return value
        if all(isinstance(key, int) for key in value):
            return value
        return parse_hours(value)

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").title()

    @property
    def always_open(self) -> bool:
        return not self.hours

    def sla_for(self, priority: str) -> timedelta:
        minutes = self.sla_minutes.get(priority, self.sla_minutes.get("normal", 60.0))
        return timedelta(minutes=minutes)

    def is_open(self, at: datetime) -> bool:
        """``at`` must be in the company's time zone."""
        if self.always_open:
            return True
        span = self.hours.get(at.weekday())
        return span is not None and span[0] <= at.time() < span[1]

    def next_opening(self, at: datetime) -> datetime | None:
        """The next moment the team opens after ``at`` (None if it never does)."""
        if self.always_open:
            return at
        for ahead in range(8):
            day = (at + timedelta(days=ahead)).date()
            span = self.hours.get(day.weekday())
            if span is None:
                continue
            opens = datetime.combine(day, span[0], tzinfo=at.tzinfo)
            if opens > at:
                return opens
        return None


def parse_hours(value: dict[str, str]) -> dict[int, tuple[time, time]]:
    """``{"mon-fri": "09:00-17:00", "sat": "10:00-14:00"}`` → weekday → (open, close)."""
    hours: dict[int, tuple[time, time]] = {}
    for days, span in value.items():
        match = _SPAN.match(str(span).strip())
        if match is None:
            raise ValueError(f"hours {span!r} for {days!r}: write them as HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60):
            raise ValueError(f"hours {span!r} for {days!r} are not times of day")
        opens = time(h1, m1)
        closes = time(23, 59, 59, 999999) if (h2, m2) == (24, 0) else time(h2, m2)
        if closes <= opens:
            raise ValueError(f"hours {span!r} for {days!r} close before they open")
        for day in _days(str(days)):
            hours[day] = (opens, closes)
    return hours


def _days(spec: str) -> list[int]:
    first, _, last = spec.strip().lower().partition("-")
    for name in (first, last or first):
        if name not in DAYS:
            raise ValueError(f"unknown day {name!r}: use {', '.join(DAYS)} or a range like mon-fri")
    start, end = DAYS.index(first), DAYS.index(last or first)
    if end < start:
        raise ValueError(f"day range {spec!r} runs backwards")
    return list(range(start, end + 1))


class Teams(BaseModel):
    model_config = ConfigDict(frozen=True)

    teams: tuple[Team, ...] = ()

    def get(self, name: str) -> Team:
        for team in self.teams:
            if team.name == name:
                return team
        return Team(name=name)

    @property
    def names(self) -> list[str]:
        return [team.name for team in self.teams]


def load_teams(path: Path | None) -> Teams:
    if path is None:
        return Teams()
    try:
        document = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise Unprocessable(f"cannot read the teams file {path}: {error}") from None
    try:
        teams = Teams.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise Unprocessable(f"the teams file {path} is invalid: {problems}") from None
    names = [team.name for team in teams.teams]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise Unprocessable(f"the teams file {path} names {', '.join(duplicates)} twice")
    return teams
