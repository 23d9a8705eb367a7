"""Demand: arrivals read from a CSV, counted per interval, and forecast with weekly and daily
seasonality.

Everything here is deterministic and plain. Times are tz-aware; a timestamp without a zone is
read as UTC. An :class:`IntervalSeries` lives on the fixed UTC offset of its start, so interval
arithmetic is exact; a daylight-saving change inside a series therefore shifts its daily
pattern by an hour (use UTC or a zone without DST for long histories).

Two forecast methods, both a table of 7 weekdays x intervals per day:

- ``"profile"``: the mean count of each (weekday, time-of-day) slot over the history.
- ``"weekday_share"``: the daily total of each weekday (the median over the complete days of
  that weekday, so one holiday or outage does not drag the whole weekday down) times the
  intraday shape of that weekday, pooled over all its days (the slot's count summed over
  those days / their total). On a clean history the two agree; they part on outlier days.

Either can be scaled to the recent level (``recent_weeks``): the ratio of the actual count over
the last weeks of history to what the table says for those same intervals.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from relaydesk.capacity.errors import CapacityInputError

INTERVALS = (15, 30, 60)
METHODS = ("profile", "weekday_share")
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Arrival:
    at: datetime  # tz-aware; UTC when the CSV gave no zone
    category: str | None


@dataclass(frozen=True)
class IntervalSeries:
    """Counts per interval: ``counts[i]`` covers ``[start + i x interval, start + (i+1) x
    interval)``. The start is kept on a fixed UTC offset so every interval is equally long."""

    start: datetime
    interval_minutes: int
    counts: tuple[float, ...]

    def __post_init__(self) -> None:
        _check_interval(self.interval_minutes)
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise CapacityInputError(
                f"series start {self.start.isoformat()} has no time zone: give a tz-aware "
                "datetime (e.g. with tzinfo=UTC)"
            )
        offset = self.start.utcoffset()
        assert offset is not None
        object.__setattr__(self, "start", self.start.astimezone(timezone(offset)))
        object.__setattr__(self, "counts", tuple(float(count) for count in self.counts))
        for index, count in enumerate(self.counts):
            if not (math.isfinite(count) and count >= 0):
                raise CapacityInputError(
                    f"series count {index} is {count}: counts must be zero or more"
                )

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes)

    @property
    def end(self) -> datetime:
        """The end of the last interval (exclusive)."""
        return self.start + self.step * len(self.counts)

    @property
    def total(self) -> float:
        return math.fsum(self.counts)

    def __len__(self) -> int:
        return len(self.counts)

    def times(self) -> tuple[datetime, ...]:
        """The start of each interval."""
        return tuple(self.start + self.step * index for index in range(len(self.counts)))

    def between(self, start: datetime, end: datetime) -> IntervalSeries:
        """The intervals that start in [start, end); both must be on this series' grid."""
        first = _grid_index(self, start)
        last = _grid_index(self, end)
        first, last = max(first, 0), min(max(last, 0), len(self.counts))
        return IntervalSeries(
            self.start + self.step * first, self.interval_minutes, self.counts[first:last]
        )


def read_arrivals_csv(path: Path) -> list[Arrival]:
    """Arrivals from a CSV with a ``timestamp`` column (ISO 8601) and an optional
    ``category`` column, in file order."""
    if not path.is_file():
        raise CapacityInputError(
            f"arrivals file {path} does not exist: give the path of a CSV with a timestamp column"
        )
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        if not columns:
            raise CapacityInputError(
                f"arrivals file {path} is empty: it needs a header line with a timestamp "
                "column and one row per arrival"
            )
        if "timestamp" not in columns:
            raise CapacityInputError(
                f"arrivals file {path} has no timestamp column (columns found: "
                f"{', '.join(columns)}): name the column with the arrival time 'timestamp'"
            )
        reader.fieldnames = columns  # matching the stripped names
        arrivals = []
        for row in reader:
            raw = (row.get("timestamp") or "").strip()
            try:
                at = datetime.fromisoformat(raw)
            except ValueError:
                raise CapacityInputError(
                    f"arrivals file {path}, line {reader.line_num}: timestamp {raw!r} is not "
                    "ISO 8601; use e.g. 2024-03-01T09:15:00Z"
                ) from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            category = (row.get("category") or "").strip() or None
            arrivals.append(Arrival(at, category))
    if not arrivals:
        raise CapacityInputError(
            f"arrivals file {path} has a header but no rows: add one row per arrival"
        )
    return arrivals


def count_by_interval(
    arrivals: Iterable[datetime],
    interval_minutes: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> IntervalSeries:
    """Arrivals counted per interval over [start, end).

    ``start`` defaults to the first arrival rounded down to the interval, ``end`` to just
    after the last; a given start must be on the interval grid (e.g. 09:00 or 09:15), a given
    end is rounded up to it. Arrivals outside [start, end) are left out. Naive datetimes are
    read as UTC."""
    _check_interval(interval_minutes)
    times = sorted(_aware(at) for at in arrivals)
    if start is None:
        if not times:
            raise CapacityInputError("no arrivals to count: give arrivals or a start and an end")
        first = times[0]
        start = first.replace(
            minute=first.minute - first.minute % interval_minutes, second=0, microsecond=0
        )
    start = _aware(start)
    _check_on_grid(start, interval_minutes, "start")
    if end is None:
        if not times:
            raise CapacityInputError("no arrivals to count: give arrivals or an end")
        end = times[-1] + timedelta(microseconds=1)
    end = _aware(end)
    if end <= start:
        raise CapacityInputError(
            f"end {end.isoformat()} is not after start {start.isoformat()}: give end > start"
        )
    step = timedelta(minutes=interval_minutes)
    periods = math.ceil((end - start) / step)
    counts = [0.0] * periods
    for at in times:
        index = (at - start) // step
        if 0 <= index < periods:
            counts[index] += 1
    return IntervalSeries(start, interval_minutes, tuple(counts))


@dataclass(frozen=True)
class SeasonalModel:
    """A fitted weekly x daily table: ``table[weekday x slots_per_day + slot]`` is the
    expected count of that slot (Monday = weekday 0), on the clock of ``tz``."""

    method: str
    interval_minutes: int
    table: tuple[float, ...]
    level: float  # the recent-level factor already applied to the table (1.0 if none)
    tz: timezone

    @property
    def slots_per_day(self) -> int:
        return _DAY_MINUTES // self.interval_minutes

    def expected(self, at: datetime) -> float:
        """The expected count of the interval starting at ``at``."""
        local = _aware(at).astimezone(self.tz)
        return self.table[_slot_key(local, self.interval_minutes)]

    def forecast(self, start: datetime, periods: int) -> IntervalSeries:
        """The expected counts of ``periods`` intervals from ``start`` (on the interval grid)."""
        if periods < 0:
            raise CapacityInputError(f"periods is {periods}: ask for zero or more intervals")
        local = _aware(start).astimezone(self.tz)
        _check_on_grid(local, self.interval_minutes, "forecast start")
        step = timedelta(minutes=self.interval_minutes)
        counts = tuple(self.expected(local + step * index) for index in range(periods))
        return IntervalSeries(local, self.interval_minutes, counts)


def fit_seasonal(
    history: IntervalSeries, method: str = "profile", recent_weeks: int | None = None
) -> SeasonalModel:
    """Fit a weekly x daily seasonal table to at least 7 days of history (see the module
    docstring for the methods). ``recent_weeks`` scales the table to the level of the last
    that many weeks (None: no scaling)."""
    if method not in METHODS:
        raise CapacityInputError(f"forecast method {method!r} is unknown: use one of {METHODS}")
    days = len(history) * history.interval_minutes / _DAY_MINUTES
    if days < 7:
        raise CapacityInputError(
            f"history covers {days:.2f} days ({len(history)} intervals of "
            f"{history.interval_minutes} minutes): give at least 7 days so every weekday and "
            "time of day is seen"
        )
    if recent_weeks is not None and recent_weeks < 1:
        raise CapacityInputError(f"recent_weeks is {recent_weeks}: use 1 or more, or None")
    tz = history.start.tzinfo
    assert isinstance(tz, timezone)  # IntervalSeries keeps a fixed offset
    per_day = _DAY_MINUTES // history.interval_minutes
    keys = [_slot_key(at, history.interval_minutes) for at in history.times()]
    table = (
        _profile(history, keys, per_day)
        if method == "profile"
        else _weekday_share(history, keys, per_day)
    )
    level = 1.0
    if recent_weeks is not None:
        recent = min(len(history), recent_weeks * 7 * per_day)
        actual = math.fsum(history.counts[-recent:])
        expected = math.fsum(table[key] for key in keys[-recent:])
        level = actual / expected if expected > 0 else 1.0
        table = [value * level for value in table]
    return SeasonalModel(method, history.interval_minutes, tuple(table), level, tz)


def fit_uplift(before: IntervalSeries, after: IntervalSeries) -> float:
    """The demand uplift after / before (1.12 = +12%), adjusted for seasonality: both periods
    are reduced to the mean count of each (weekday, time-of-day) slot, and only the slots seen
    in both are compared, so an ``after`` window of Mondays is not set against a ``before``
    window of quiet Sundays."""
    if before.interval_minutes != after.interval_minutes:
        raise CapacityInputError(
            f"before has {before.interval_minutes}-minute intervals and after "
            f"{after.interval_minutes}-minute: count both with the same interval"
        )
    means_before = _slot_means(before)
    means_after = _slot_means(after)
    common = sorted(set(means_before) & set(means_after))
    if not common:
        raise CapacityInputError(
            "before and after share no weekday and time of day: give periods that cover the "
            "same days of the week (a full week each is best)"
        )
    total_before = math.fsum(means_before[key] for key in common)
    if total_before == 0:
        raise CapacityInputError(
            "before has no arrivals in the slots it shares with after: the uplift is undefined"
        )
    return math.fsum(means_after[key] for key in common) / total_before


def apply_uplift(series: IntervalSeries, uplift: float) -> IntervalSeries:
    """The series with every count multiplied by ``uplift`` (a factor: 1.1 = +10%)."""
    if not (math.isfinite(uplift) and uplift >= 0):
        raise CapacityInputError(
            f"uplift is {uplift}: use a factor of zero or more, e.g. 1.1 for +10%"
        )
    return IntervalSeries(
        series.start, series.interval_minutes, tuple(count * uplift for count in series.counts)
    )


def forecast_errors(
    actual: IntervalSeries | Sequence[float], predicted: IntervalSeries | Sequence[float]
) -> dict[str, float]:
    """MAE, RMSE, MAPE and WAPE of a forecast, as fractions (0.12 = 12%), plus ``n``.

    MAPE is the mean of |error| / actual over the intervals with a non-zero actual (NaN if
    there are none); WAPE is sum |error| / sum actual (NaN if the actuals sum to zero)."""
    if (
        isinstance(actual, IntervalSeries)
        and isinstance(predicted, IntervalSeries)
        and (actual.start, actual.interval_minutes) != (predicted.start, predicted.interval_minutes)
    ):
        raise CapacityInputError(
            "actual and predicted are on different grids: forecast from the actual "
            "series' start with its interval"
        )
    values = _values(actual)
    guesses = _values(predicted)
    if len(values) != len(guesses):
        raise CapacityInputError(
            f"actual has {len(values)} values and predicted {len(guesses)}: give equal lengths"
        )
    if not values:
        raise CapacityInputError("no values to compare: give at least one interval")
    errors = [guess - value for value, guess in zip(values, guesses, strict=True)]
    absolute = [abs(error) for error in errors]
    nonzero = [
        abs(error) / abs(value) for value, error in zip(values, errors, strict=True) if value
    ]
    total = math.fsum(abs(value) for value in values)
    return {
        "n": float(len(values)),
        "mae": math.fsum(absolute) / len(values),
        "rmse": math.sqrt(math.fsum(error * error for error in errors) / len(values)),
        "mape": math.fsum(nonzero) / len(nonzero) if nonzero else math.nan,
        "wape": math.fsum(absolute) / total if total else math.nan,
    }


def _profile(history: IntervalSeries, keys: list[int], per_day: int) -> list[float]:
    sums = [0.0] * (7 * per_day)
    seen = [0] * (7 * per_day)
    for key, count in zip(keys, history.counts, strict=True):
        sums[key] += count
        seen[key] += 1
    return [total / count for total, count in zip(sums, seen, strict=True)]


def _weekday_share(history: IntervalSeries, keys: list[int], per_day: int) -> list[float]:
    # Group the intervals by calendar day: a day's total counts only if the day is complete.
    days: dict[datetime, list[tuple[int, float]]] = {}
    for at, key, count in zip(history.times(), keys, history.counts, strict=True):
        day = at.replace(hour=0, minute=0, second=0, microsecond=0)
        days.setdefault(day, []).append((key % per_day, count))
    slot_sums = [[0.0] * per_day for _ in range(7)]
    complete_totals: list[list[float]] = [[] for _ in range(7)]
    for day, slots in days.items():
        weekday = day.weekday()
        for slot, count in slots:
            slot_sums[weekday][slot] += count
        if len(slots) == per_day:
            complete_totals[weekday].append(math.fsum(count for _, count in slots))
    profile = _profile(history, keys, per_day)
    table: list[float] = []
    for weekday in range(7):
        pooled = math.fsum(slot_sums[weekday])
        if complete_totals[weekday]:
            daily = statistics.median(complete_totals[weekday])
        else:
            # Only partial days of this weekday: fall back to the sum of its slot means.
            daily = math.fsum(profile[weekday * per_day : (weekday + 1) * per_day])
        shape = [value / pooled if pooled else 0.0 for value in slot_sums[weekday]]
        table.extend(daily * share for share in shape)
    return table


def _slot_means(series: IntervalSeries) -> dict[int, float]:
    sums: dict[int, float] = {}
    seen: dict[int, int] = {}
    for at, count in zip(series.times(), series.counts, strict=True):
        key = _slot_key(at, series.interval_minutes)
        sums[key] = sums.get(key, 0.0) + count
        seen[key] = seen.get(key, 0) + 1
    return {key: sums[key] / seen[key] for key in sums}


def _slot_key(at: datetime, interval_minutes: int) -> int:
    per_day = _DAY_MINUTES // interval_minutes
    return at.weekday() * per_day + (at.hour * 60 + at.minute) // interval_minutes


def _grid_index(series: IntervalSeries, at: datetime) -> int:
    offset = _aware(at) - series.start
    if offset % series.step:
        raise CapacityInputError(
            f"{at.isoformat()} is not on the series' {series.interval_minutes}-minute grid "
            f"starting {series.start.isoformat()}"
        )
    return offset // series.step


def _values(series: IntervalSeries | Sequence[float]) -> list[float]:
    if isinstance(series, IntervalSeries):
        return list(series.counts)
    return [float(value) for value in series]


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _check_interval(interval_minutes: int) -> None:
    if interval_minutes not in INTERVALS:
        raise CapacityInputError(
            f"interval_minutes is {interval_minutes}: use one of {', '.join(map(str, INTERVALS))}"
        )


def _check_on_grid(at: datetime, interval_minutes: int, what: str) -> None:
    if at.minute % interval_minutes or at.second or at.microsecond:
        raise CapacityInputError(
            f"{what} {at.isoformat()} is not on the {interval_minutes}-minute grid: use a time "
            f"at a multiple of {interval_minutes} minutes past the hour"
        )
