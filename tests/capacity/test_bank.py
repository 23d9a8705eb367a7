"""Loading the bank call-centre data, on a small fixture in the real format (the real data
lives outside the repository and the suite does not need it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from relaydesk.capacity.bank import (
    DEFAULT_DATA_DIR,
    SERVICE_TYPES,
    HourObservation,
    hourly_observations,
    load_calls,
)
from relaydesk.capacity.errors import CapacityInputError

FIXTURE = Path(__file__).parent / "fixtures" / "bank_calls_sample.tsv"


def by_hour(observations: list[HourObservation]) -> dict[datetime, HourObservation]:
    return {observation.hour: observation for observation in observations}


def test_load_skips_and_counts_malformed_rows() -> None:
    calls = load_calls(FIXTURE)
    assert len(calls) == 12
    # A clock of 10:2x:10 and a row cut short after eight fields.
    assert calls.malformed == 2
    assert calls.malformed_lines == (10, 14)


def test_call_fields_follow_the_documented_choices() -> None:
    calls = {call.call_id: call for call in load_calls(FIXTURE)}
    direct = calls["34001"]
    assert direct.arrived == datetime(1999, 2, 1, 9, 5, 10)  # vru_exit, not vru_entry
    assert not direct.queued
    assert direct.offered
    assert direct.wait_seconds == 0
    assert (direct.type, direct.priority, direct.outcome) == ("PS", 0, "AGENT")
    assert (direct.served_seconds, direct.server) == (200, "DORIT")

    waited = calls["34002"]
    assert waited.queued
    assert (waited.q_seconds, waited.priority) == (60, 2)

    abandoned = calls["34003"]
    assert abandoned.abandoned
    assert abandoned.offered

    vru_hangup = calls["34004"]
    assert not vru_hangup.offered
    assert not vru_hangup.abandoned

    assert not calls["34005"].offered  # PHANTOM

    crossed = calls["34010"]  # entered at 23:59:50, left the VRU after midnight
    assert crossed.arrived == datetime(1999, 2, 2, 0, 0, 2)
    queued_over_midnight = calls["34011"]
    assert queued_over_midnight.arrived == datetime(1999, 2, 1, 23, 58, 5)
    assert queued_over_midnight.service_start == datetime(1999, 2, 2, 0, 0, 34)

    assert calls["34012"].answered
    assert calls["34012"].service_start is None  # no service times recorded

    skewed = calls["34014"]  # exits the VRU 50 s "before" entering: kept as recorded
    assert skewed.arrived == datetime(1999, 2, 1, 10, 49, 10)


def test_hourly_observations() -> None:
    observations = hourly_observations(load_calls(FIXTURE))
    assert observations[0].hour == datetime(1999, 2, 1, 9)
    assert observations[-1].hour == datetime(1999, 2, 2, 0)
    assert len(observations) == 16  # every hour in between, quiet ones as zeros
    hours = by_hour(observations)

    nine = hours[datetime(1999, 2, 1, 9)]
    # Offered: the direct call, the waited call, the abandoned call, the NO_SERVER answer and
    # the internet call; not the VRU hang-up nor the PHANTOM.
    assert (nine.arrivals, nine.answered, nine.abandoned) == (5, 4, 1)
    assert nine.mean_wait_seconds == pytest.approx((0 + 60 + 90 + 0 + 60) / 5)
    assert nine.mean_handle_seconds == pytest.approx((200 + 300 + 600) / 3)
    assert nine.agents_observed == 3
    assert nine.servers == {"DORIT", "TOVA", "MICHAL"}
    assert nine.busy_seconds == pytest.approx(200 + 300 + 236)

    ten = hours[datetime(1999, 2, 1, 10)]
    assert (ten.arrivals, ten.answered, ten.abandoned) == (3, 3, 0)
    assert ten.mean_wait_seconds == pytest.approx(20)
    assert ten.mean_handle_seconds == pytest.approx(120)  # the unrecorded service left out
    # MICHAL is still serving the call that started at 09:56.
    assert ten.servers == {"MICHAL", "DORIT", "YIFAT"}
    assert ten.busy_seconds == pytest.approx(364 + 120 + 120)
    assert ten.occupancy_observed == pytest.approx(604 / (3 * 3600))

    quiet = hours[datetime(1999, 2, 1, 15)]
    assert (quiet.arrivals, quiet.agents_observed) == (0, 0)
    assert quiet.mean_wait_seconds is None
    assert quiet.occupancy_observed is None

    late = hours[datetime(1999, 2, 1, 23)]
    assert (late.arrivals, late.mean_wait_seconds, late.agents_observed) == (1, 150, 0)
    midnight = hours[datetime(1999, 2, 2, 0)]
    assert midnight.arrivals == 1
    assert midnight.servers == {"AVNI", "TOVA"}


def test_type_filter() -> None:
    calls = load_calls(FIXTURE)
    without_internet = by_hour(hourly_observations(calls, SERVICE_TYPES - {"IN"}))
    nine = without_internet[datetime(1999, 2, 1, 9)]
    assert nine.arrivals == 4
    assert nine.servers == {"DORIT", "TOVA"}
    assert without_internet[datetime(1999, 2, 1, 10)].servers == {"DORIT", "YIFAT"}
    everything = hourly_observations(calls, None)
    assert sum(hour.arrivals for hour in everything) == 10
    assert hourly_observations(calls, {"TT"}) == []


def test_a_folder_means_its_calls_file(tmp_path: Path) -> None:
    (tmp_path / "calls_feb_01_21.tsv").write_bytes(FIXTURE.read_bytes())
    assert len(load_calls(tmp_path)) == 12


def test_missing_data_folder_says_where_it_is_expected(tmp_path: Path) -> None:
    with pytest.raises(CapacityInputError, match="anonymous_bank_call_center_1999") as error:
        load_calls(tmp_path / "nowhere" / "calls_feb_01_21.tsv")
    assert "is missing" in str(error.value)
    assert str(DEFAULT_DATA_DIR) in str(error.value)


def test_missing_file_in_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(CapacityInputError, match="does not exist"):
        load_calls(tmp_path / "calls.tsv")


def test_wrong_header(tmp_path: Path) -> None:
    path = tmp_path / "calls.tsv"
    path.write_text("timestamp,category\n2024-01-01T00:00:00,x\n")
    with pytest.raises(CapacityInputError, match="header"):
        load_calls(path)
