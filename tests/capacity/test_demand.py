"""Demand: reading arrivals, counting them per interval, seasonal forecasts, uplift, errors."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from relaydesk.capacity.demand import (
    METHODS,
    Arrival,
    IntervalSeries,
    apply_uplift,
    count_by_interval,
    fit_seasonal,
    fit_uplift,
    forecast_errors,
    read_arrivals_csv,
)
from relaydesk.capacity.errors import CapacityInputError

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
WEEKLY = (1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3)  # Monday first


def daily_shape(slot: int, per_day: int) -> float:
    """Open 06:00-22:00 with a midday peak."""
    hour = slot * 24 / per_day
    return math.sin(math.pi * (hour - 6) / 16) if 6 <= hour < 22 else 0.0


def expected_counts(start: datetime, periods: int, interval: int, level: float) -> list[float]:
    per_day = 24 * 60 // interval
    step = timedelta(minutes=interval)
    values = []
    for index in range(periods):
        at = start + step * index
        slot = (at.hour * 60 + at.minute) // interval
        values.append(level * WEEKLY[at.weekday()] * daily_shape(slot, per_day))
    return values


def synthetic(weeks: int, interval: int = 60, level: float = 40.0) -> IntervalSeries:
    periods = weeks * 7 * 24 * 60 // interval
    return IntervalSeries(
        MONDAY, interval, tuple(expected_counts(MONDAY, periods, interval, level))
    )


# --- reading a CSV ---------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "arrivals.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_arrivals_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timestamp,category\n"
        "2024-03-01T09:15:00,billing\n"
        "2024-03-01T09:20:00Z,\n"
        "2024-03-01 11:20:00+02:00,shipping\n",
    )
    arrivals = read_arrivals_csv(path)
    assert arrivals[0] == Arrival(datetime(2024, 3, 1, 9, 15, tzinfo=UTC), "billing")
    assert arrivals[1].category is None
    assert arrivals[1].at == datetime(2024, 3, 1, 9, 20, tzinfo=UTC)
    # A given zone is kept; it is the same instant as 09:20 UTC.
    assert arrivals[2].at.utcoffset() == timedelta(hours=2)
    assert arrivals[2].at == datetime(2024, 3, 1, 9, 20, tzinfo=UTC)


def test_category_column_is_optional(tmp_path: Path) -> None:
    arrivals = read_arrivals_csv(write(tmp_path, "timestamp\n2024-03-01T09:15:00\n"))
    assert arrivals == [Arrival(datetime(2024, 3, 1, 9, 15, tzinfo=UTC), None)]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CapacityInputError, match="does not exist"):
        read_arrivals_csv(tmp_path / "nope.csv")


def test_missing_timestamp_column_lists_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "created_at,category\n2024-03-01T09:15:00,billing\n")
    with pytest.raises(CapacityInputError, match=r"columns found: created_at, category"):
        read_arrivals_csv(path)


def test_unparsable_row_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp\n2024-03-01T09:15:00\nyesterday at noon\n")
    with pytest.raises(CapacityInputError, match=r"line 3: timestamp 'yesterday at noon'"):
        read_arrivals_csv(path)


@pytest.mark.parametrize(("text", "message"), [("", "is empty"), ("timestamp\n", "no rows")])
def test_empty_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CapacityInputError, match=message):
        read_arrivals_csv(write(tmp_path, text))


# --- counting --------------------------------------------------------------------------------


def test_count_by_interval_defaults_to_the_arrivals_span() -> None:
    times = [
        datetime(2024, 1, 1, 9, 7, tzinfo=UTC),
        datetime(2024, 1, 1, 9, 14, tzinfo=UTC),
        datetime(2024, 1, 1, 9, 52, tzinfo=UTC),
        datetime(2024, 1, 1, 9, 15),  # naive: read as UTC
    ]
    series = count_by_interval(times, 15)
    assert series.start == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    assert series.counts == (2.0, 1.0, 0.0, 1.0)
    assert series.times()[1] == datetime(2024, 1, 1, 9, 15, tzinfo=UTC)
    assert series.end == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert series.total == 4


def test_count_by_interval_with_a_window() -> None:
    times = [MONDAY + timedelta(minutes=minutes) for minutes in (-5, 0, 59, 60, 125, 200)]
    series = count_by_interval(times, 60, start=MONDAY, end=MONDAY + timedelta(hours=3))
    assert series.counts == (2.0, 1.0, 1.0)  # outside [start, end) left out


def test_count_by_interval_rejects_bad_input() -> None:
    with pytest.raises(CapacityInputError, match="use one of 15, 30, 60"):
        count_by_interval([MONDAY], 20)
    with pytest.raises(CapacityInputError, match="not on the 30-minute grid"):
        count_by_interval([MONDAY], 30, start=MONDAY + timedelta(minutes=10))
    with pytest.raises(CapacityInputError, match="no arrivals"):
        count_by_interval([], 60)
    with pytest.raises(CapacityInputError, match="not after start"):
        count_by_interval([MONDAY], 60, start=MONDAY, end=MONDAY)


def test_series_rejects_negative_counts_and_naive_starts() -> None:
    with pytest.raises(CapacityInputError, match="zero or more"):
        IntervalSeries(MONDAY, 60, (1.0, -1.0))
    with pytest.raises(CapacityInputError, match="no time zone"):
        IntervalSeries(datetime(2024, 1, 1), 60, (1.0,))


def test_between() -> None:
    series = synthetic(weeks=2)
    week = series.between(MONDAY + timedelta(days=7), MONDAY + timedelta(days=14))
    assert week.start == MONDAY + timedelta(days=7)
    assert len(week) == 7 * 24
    assert week.counts == series.counts[7 * 24 :]


# --- seasonal forecast -----------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("interval", [15, 30, 60])
def test_forecast_recovers_a_known_weekly_and_daily_pattern(method: str, interval: int) -> None:
    history = synthetic(weeks=3, interval=interval)
    model = fit_seasonal(history, method)
    start = history.end + timedelta(days=2)  # a Wednesday, not where the history starts
    periods = 7 * 24 * 60 // interval
    forecast = model.forecast(start, periods)
    truth = expected_counts(start, periods, interval, 40.0)
    assert forecast.start == start
    assert forecast.counts == pytest.approx(truth, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_forecast_recovers_the_pattern_through_noise(method: str) -> None:
    rng = np.random.default_rng(20240101)
    truth = synthetic(weeks=8, level=200.0)
    noisy = IntervalSeries(MONDAY, 60, tuple(float(count) for count in rng.poisson(truth.counts)))
    model = fit_seasonal(noisy, method)
    forecast = model.forecast(noisy.end, 7 * 24)
    errors = forecast_errors(truth.counts[: 7 * 24], forecast)
    assert errors["wape"] < 0.05
    # The busiest weekday and hour come out where they were put.
    busiest = max(range(len(forecast)), key=lambda index: forecast.counts[index])
    assert forecast.times()[busiest].weekday() == 0
    assert forecast.times()[busiest].hour in (13, 14, 15)  # the sine peaks at 14:00


def test_weekday_share_shrugs_off_a_holiday() -> None:
    history = synthetic(weeks=5)
    counts = list(history.counts)
    counts[14 * 24 : 15 * 24] = [0.0] * 24  # the third Monday: closed
    holiday = IntervalSeries(history.start, 60, tuple(counts))
    monday_noon = MONDAY + timedelta(weeks=5, hours=12)
    truth = expected_counts(monday_noon, 1, 60, 40.0)[0]
    # The median daily total ignores the closed Monday; the mean profile loses a fifth.
    assert fit_seasonal(holiday, "weekday_share").expected(monday_noon) == pytest.approx(truth)
    assert fit_seasonal(holiday, "profile").expected(monday_noon) == pytest.approx(truth * 0.8)


def test_recent_level_scaling() -> None:
    history = synthetic(weeks=4)
    grown = IntervalSeries(
        history.start,
        60,
        history.counts[: 2 * 7 * 24] + tuple(count * 1.5 for count in history.counts[336:]),
    )
    plain = fit_seasonal(grown)
    recent = fit_seasonal(grown, recent_weeks=2)
    noon = MONDAY + timedelta(weeks=4, hours=12)
    truth = expected_counts(noon, 1, 60, 40.0)[0]
    assert plain.expected(noon) == pytest.approx(truth * 1.25)  # the mean of both levels
    assert recent.level == pytest.approx(1.5 / 1.25)
    assert recent.expected(noon) == pytest.approx(truth * 1.5)


def test_forecast_keeps_the_history_clock() -> None:
    israel = timezone(timedelta(hours=2))
    local_start = datetime(2024, 1, 1, tzinfo=israel)
    history = IntervalSeries(local_start, 60, synthetic(weeks=1).counts)
    model = fit_seasonal(history)
    # Asked in UTC, the forecast is read on the history's clock: 10:00 UTC is 12:00 there.
    asked = datetime(2024, 1, 8, 10, tzinfo=UTC)
    forecast = model.forecast(asked, 1)
    assert forecast.start == asked
    assert forecast.counts[0] == pytest.approx(expected_counts(MONDAY, 13, 60, 40.0)[12])


def test_forecast_needs_seven_days() -> None:
    short = IntervalSeries(MONDAY, 60, (1.0,) * (6 * 24 + 23))
    with pytest.raises(CapacityInputError, match=r"covers 6.96 days"):
        fit_seasonal(short)


def test_forecast_rejects_unknown_methods_and_off_grid_starts() -> None:
    history = synthetic(weeks=1)
    with pytest.raises(CapacityInputError, match="unknown"):
        fit_seasonal(history, "arima")
    with pytest.raises(CapacityInputError, match="recent_weeks"):
        fit_seasonal(history, recent_weeks=0)
    with pytest.raises(CapacityInputError, match="grid"):
        fit_seasonal(history).forecast(MONDAY + timedelta(minutes=5), 3)


# --- uplift ----------------------------------------------------------------------------------


def test_uplift_compares_matching_weekdays() -> None:
    before = synthetic(weeks=3)
    after_start = before.end + timedelta(days=5)  # a Saturday: the after window opens quiet
    periods = 10 * 24
    after = IntervalSeries(
        after_start,
        60,
        tuple(1.15 * value for value in expected_counts(after_start, periods, 60, 40.0)),
    )
    assert fit_uplift(before, after) == pytest.approx(1.15)
    # The naive ratio of means is fooled by the weekend-heavy after window.
    naive = (after.total / len(after)) / (before.total / len(before))
    assert abs(naive - 1.15) > 0.03


def test_apply_uplift() -> None:
    series = IntervalSeries(MONDAY, 30, (10.0, 0.0, 4.0))
    assert apply_uplift(series, 1.1).counts == pytest.approx((11.0, 0.0, 4.4))
    with pytest.raises(CapacityInputError, match="factor"):
        apply_uplift(series, -0.1)


def test_uplift_rejects_mismatched_series() -> None:
    hourly = synthetic(weeks=1)
    with pytest.raises(CapacityInputError, match="same interval"):
        fit_uplift(hourly, synthetic(weeks=1, interval=30))
    empty = IntervalSeries(MONDAY, 60, (0.0,) * 24)
    with pytest.raises(CapacityInputError, match="no arrivals"):
        fit_uplift(empty, hourly)
    tuesday = IntervalSeries(MONDAY + timedelta(days=1), 60, (1.0,) * 24)
    with pytest.raises(CapacityInputError, match="share no weekday"):
        fit_uplift(empty, tuesday)


# --- errors ----------------------------------------------------------------------------------


def test_forecast_errors() -> None:
    errors = forecast_errors([10.0, 0.0, 5.0, 5.0], [12.0, 1.0, 5.0, 2.0])
    assert errors["n"] == 4
    assert errors["mae"] == pytest.approx((2 + 1 + 0 + 3) / 4)
    assert errors["rmse"] == pytest.approx(math.sqrt((4 + 1 + 0 + 9) / 4))
    assert errors["mape"] == pytest.approx((0.2 + 0 + 0.6) / 3)  # the zero actual skipped
    assert errors["wape"] == pytest.approx(6 / 20)


def test_forecast_errors_edge_cases() -> None:
    zeros = forecast_errors([0.0, 0.0], [1.0, 0.0])
    assert math.isnan(zeros["mape"])
    assert math.isnan(zeros["wape"])
    with pytest.raises(CapacityInputError, match="equal lengths"):
        forecast_errors([1.0], [1.0, 2.0])
    a = IntervalSeries(MONDAY, 60, (1.0,))
    b = IntervalSeries(MONDAY + timedelta(hours=1), 60, (1.0,))
    with pytest.raises(CapacityInputError, match="different grids"):
        forecast_errors(a, b)
