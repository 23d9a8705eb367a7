"""The teams file: hours, openings, SLA targets, and clear errors."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from relaydesk.errors import Unprocessable
from relaydesk.queue.teams import DEFAULT_HANDLE_MINUTES, Team, load_teams, parse_hours
from relaydesk.settings import DEMO_DIR

PARIS = ZoneInfo("Europe/Paris")
# Monday 23 November 2026.
MONDAY = datetime(2026, 11, 23, tzinfo=PARIS)


def test_hours_expand_day_ranges_and_single_days() -> None:
    hours = parse_hours({"mon-fri": "09:00-17:30", "sat": "10:00-14:00"})
    assert sorted(hours) == [0, 1, 2, 3, 4, 5]
    assert hours[4] == (time(9), time(17, 30))
    assert hours[5] == (time(10), time(14))


@pytest.mark.parametrize(
    ("hours", "says"),
    [
        ({"mon": "9-17"}, "HH:MM-HH:MM"),
        ({"mon": "17:00-09:00"}, "close before they open"),
        ({"fri-mon": "09:00-17:00"}, "runs backwards"),
        ({"funday": "09:00-17:00"}, "unknown day 'funday'"),
        ({"mon": "25:00-26:00"}, "not times of day"),
    ],
)
def test_bad_hours_say_what_is_wrong(hours: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_hours(hours)


def test_open_and_next_opening_in_the_company_time_zone() -> None:
    team = Team(name="senior", hours={"mon-fri": "09:00-17:00"})  # type: ignore[arg-type]
    assert not team.is_open(MONDAY.replace(hour=8, minute=59))
    assert team.is_open(MONDAY.replace(hour=9))
    assert not team.is_open(MONDAY.replace(hour=17))
    # Friday evening → Monday 09:00; Monday morning → the same day.
    friday_evening = MONDAY + timedelta(days=4, hours=18)
    assert team.next_opening(friday_evening) == MONDAY + timedelta(days=7, hours=9)
    assert team.next_opening(MONDAY.replace(hour=7)) == MONDAY.replace(hour=9)


def test_a_team_without_hours_is_always_open() -> None:
    team = Team(name="frontline")
    assert team.always_open
    assert team.is_open(MONDAY.replace(hour=3))


def test_sla_targets_by_priority_fall_back_to_normal() -> None:
    team = Team(name="billing", sla_minutes={"high": 15, "normal": 60})
    assert team.sla_for("high") == timedelta(minutes=15)
    assert team.sla_for("low") == timedelta(minutes=60)


def test_the_demo_file_loads_and_unknown_teams_get_defaults() -> None:
    teams = load_teams(DEMO_DIR / "teams.yaml")
    assert teams.names == ["frontline", "billing", "senior", "specialists"]
    assert teams.get("billing").title == "Billing"
    assert teams.get("specialists").hours[0] == (time(9), time(17))
    stranger = teams.get("night-shift")
    assert stranger.always_open
    assert stranger.handle_minutes == DEFAULT_HANDLE_MINUTES


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("teams: [{name: a}, {name: a}]", "names a twice"),
        ("teams: [{name: a, colour: red}]", "colour"),
        ("teams: [{name: a, hours: {mon: nine}}]", "HH:MM-HH:MM"),
        ("teams: [{name: a, handle_minutes: 0}]", "handle_minutes"),
        ("teams: [{name: a", "cannot read"),
    ],
)
def test_a_bad_teams_file_is_refused_with_the_reason(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(text)
    with pytest.raises(Unprocessable, match=says):
        load_teams(path)
