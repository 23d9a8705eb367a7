"""Interval staffing: shrinkage, concurrency, per-interval AHT, validation and the summary."""

from __future__ import annotations

import math

import pytest

from relaydesk.capacity.erlang import agents_for_target, erlang_c_metrics
from relaydesk.capacity.errors import CapacityInputError
from relaydesk.capacity.staffing import IntervalStaffing, Target, required_staff, summarize

EIGHTY_IN_TWENTY = Target(service_level=0.8, within_seconds=20)


def test_published_example_with_shrinkage() -> None:
    # Call Centre Helper's worked example: 100 calls in 30 minutes, AHT 180 s, 80% in 20 s
    # needs 14 agents on the phones; with 30% shrinkage that is 14 / 0.7 = 20 to schedule.
    [row] = required_staff([100], 30, 180, EIGHTY_IN_TWENTY, shrinkage=0.3)
    assert row.agents == 14
    assert row.scheduled == pytest.approx(20.0, rel=1e-12)
    assert row.metrics == erlang_c_metrics(100 / 1800, 180, 14, 20)
    assert row.start == 0
    assert row.arrivals == 100
    assert row.interval_minutes == 30


def test_shrinkage_scales_the_schedule() -> None:
    arrivals = [0, 12, 60, 140, 90]
    with_shrinkage = required_staff(arrivals, 30, 240, EIGHTY_IN_TWENTY, shrinkage=0.3)
    without = required_staff(arrivals, 30, 240, EIGHTY_IN_TWENTY, shrinkage=0.0)
    for shrunk, plain in zip(with_shrinkage, without, strict=True):
        assert shrunk.agents == plain.agents
        assert plain.scheduled == plain.agents
        assert shrunk.scheduled == pytest.approx(shrunk.agents / 0.7, rel=1e-12)
    assert with_shrinkage[0].agents == 0  # an empty interval needs nobody
    assert [row.start for row in with_shrinkage] == [0, 1, 2, 3, 4]


def test_concurrency_is_an_effective_aht() -> None:
    arrivals = [30, 120, 400]
    one = required_staff(arrivals, 60, 600, EIGHTY_IN_TWENTY, concurrency=1.0)
    two = required_staff(arrivals, 60, 600, EIGHTY_IN_TWENTY, concurrency=2.0)
    halved = required_staff(arrivals, 60, 300, EIGHTY_IN_TWENTY, concurrency=1.0)
    for single, double, half in zip(one, two, halved, strict=True):
        assert double.agents < single.agents
        assert double.agents == half.agents  # documented model: aht / concurrency
        assert double.metrics.traffic == pytest.approx(single.metrics.traffic / 2, rel=1e-12)


def test_aht_per_interval_and_interval_length() -> None:
    rows = required_staff([50, 50], 15, [120, 480], EIGHTY_IN_TWENTY)
    assert rows[0].agents < rows[1].agents
    expected = agents_for_target(50 / 900, 480, target_seconds=20, service_level=0.8)
    assert rows[1].metrics == expected
    # The same contacts over an hour rather than 15 minutes arrive four times slower.
    assert required_staff([50], 60, 480, EIGHTY_IN_TWENTY)[0].agents < rows[1].agents


def test_patience_switches_to_erlang_a() -> None:
    erlang_c_rows = required_staff([100, 300], 30, 180, EIGHTY_IN_TWENTY)
    erlang_a_rows = required_staff([100, 300], 30, 180, EIGHTY_IN_TWENTY, patience_seconds=120)
    for row in erlang_a_rows:
        assert row.metrics.p_abandon > 0
        assert row.metrics.service_level >= 0.8
    for row in erlang_c_rows:
        assert row.metrics.p_abandon == 0
    # Abandonment relieves the queue: these loads need no more agents than Erlang C says.
    assert [row.agents for row in erlang_a_rows] <= [row.agents for row in erlang_c_rows]
    assert summarize(erlang_a_rows)["expected_abandons"] > 0
    assert summarize(erlang_c_rows)["expected_abandons"] == 0


def test_other_targets_are_passed_through() -> None:
    occupancy_only = Target(service_level=None, max_occupancy=0.85)
    [row] = required_staff([100], 30, 180, occupancy_only)  # 10 Erlangs
    assert row.agents == 12
    assert row.metrics.target_seconds == 60  # the default threshold the reported SL uses
    [row] = required_staff([100], 30, 180, Target(service_level=None, asa_seconds=10))
    assert row.metrics.asa <= 10


def test_summary() -> None:
    rows = required_staff([0, 100, 300, 50], 30, 180, EIGHTY_IN_TWENTY, patience_seconds=200)
    summary = summarize(rows)
    arrivals = 450
    assert summary["intervals"] == 4
    assert summary["arrivals"] == arrivals
    assert summary["peak_agents"] == max(row.agents for row in rows) == rows[2].agents
    assert summary["peak_scheduled"] == pytest.approx(rows[2].agents / 0.7)
    assert summary["agent_hours_scheduled"] == pytest.approx(
        sum(row.agents for row in rows) / 0.7 / 2
    )
    assert summary["agent_hours_on_queue"] == pytest.approx(sum(row.agents for row in rows) / 2)
    weighted = sum(row.arrivals * row.metrics.service_level for row in rows) / arrivals
    assert summary["service_level"] == pytest.approx(weighted)
    assert summary["service_level"] >= 0.8
    assert summary["asa_seconds"] == pytest.approx(
        sum(row.arrivals * row.metrics.asa for row in rows) / arrivals
    )
    assert summary["expected_abandons"] == pytest.approx(
        sum(row.arrivals * row.metrics.p_abandon for row in rows)
    )


def test_summary_of_nothing() -> None:
    empty: list[IntervalStaffing] = []
    assert summarize(empty) == {
        "intervals": 0,
        "arrivals": 0,
        "peak_agents": 0,
        "peak_scheduled": 0.0,
        "agent_hours_on_queue": 0,
        "agent_hours_scheduled": 0,
        "service_level": 1.0,
        "asa_seconds": 0.0,
        "expected_abandons": 0,
    }
    quiet = summarize(required_staff([0, 0], 60, 300, EIGHTY_IN_TWENTY))
    assert quiet["peak_agents"] == 0
    assert quiet["service_level"] == 1.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"shrinkage": 1.2}, r"shrinkage must be in \[0, 1\), got 1.2: it is the share of paid"),
        ({"shrinkage": 1.0}, r"shrinkage must be in \[0, 1\)"),
        ({"shrinkage": -0.1}, r"shrinkage must be in \[0, 1\)"),
        ({"shrinkage": math.nan}, "shrinkage"),
        ({"concurrency": 0.5}, "concurrency must be a finite number >= 1"),
        ({"concurrency": math.inf}, "concurrency"),
        ({"patience_seconds": 0.0}, "patience_seconds must be > 0"),
        ({"patience_seconds": math.nan}, "patience_seconds"),
        ({"interval_minutes": 20}, "interval_minutes must be one of 15, 30, 60"),
        ({"interval_minutes": 30.0}, "interval_minutes"),
        ({"interval_minutes": True}, "interval_minutes"),
        ({"arrivals": [10, -1]}, r"arrivals\[1\] must be a finite number of contacts >= 0"),
        ({"arrivals": [10, math.nan]}, r"arrivals\[1\]"),
        ({"arrivals": [10, math.inf]}, r"arrivals\[1\]"),
        ({"arrivals": "10,20"}, "arrivals must be a sequence"),
        ({"aht_seconds": 0}, "aht_seconds must be a finite number of seconds > 0"),
        ({"aht_seconds": [180, math.nan]}, r"aht_seconds\[1\]"),
        ({"aht_seconds": [180]}, "one per interval: got 1 values for 2 intervals"),
        ({"aht_seconds": "180"}, "aht_seconds must be a number or a sequence"),
        ({"target": 0.8}, "target must be a Target"),
    ],
)
def test_bad_inputs_name_the_input(arguments: dict[str, object], message: str) -> None:
    call: dict[str, object] = {
        "arrivals": [10, 20],
        "interval_minutes": 30,
        "aht_seconds": 180,
        "target": EIGHTY_IN_TWENTY,
    }
    call.update(arguments)
    with pytest.raises(CapacityInputError, match=message):
        required_staff(**call)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"service_level": 1.0}, r"Target.service_level must be in \(0, 1\), got 1.0"),
        ({"service_level": 0.0}, r"Target.service_level must be in \(0, 1\)"),
        ({"service_level": math.nan}, "Target.service_level"),
        ({"within_seconds": -5}, "Target.within_seconds must be a finite number"),
        ({"within_seconds": math.inf}, "Target.within_seconds"),
        ({"asa_seconds": 0}, "Target.asa_seconds must be > 0"),
        ({"max_occupancy": 1.5}, r"Target.max_occupancy must be in \(0, 1\]"),
        ({"max_occupancy": 0}, r"Target.max_occupancy must be in \(0, 1\]"),
        ({"service_level": None}, "Target needs at least one goal"),
    ],
)
def test_bad_targets_name_the_field(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(CapacityInputError, match=message):
        Target(**arguments)  # type: ignore[arg-type]


def test_an_unreachable_interval_is_named() -> None:
    with pytest.raises(CapacityInputError, match=r"interval 1 \(20 arrivals\): the target cannot"):
        required_staff([0, 20], 30, 180, Target(service_level=None, asa_seconds=1e-300))
