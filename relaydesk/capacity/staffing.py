"""Agents needed per interval of a contact forecast, from the Erlang models in ``erlang.py``.

Each interval is treated on its own as a steady-state queue with Poisson arrivals at the
interval's average rate (``arrivals / interval length``): the classic workforce-management
approach. It ignores the backlog one interval hands to the next and the rise and fall of demand
inside an interval, so very short, very peaky intervals are optimistic.

Two adjustments turn queue agents into headcount:

- **Concurrency** (chats an agent handles at once, ``c >= 1``) is modelled as each agent
  working through contacts ``c`` times as fast: an effective AHT of ``aht / c``. This is the
  usual planning approximation. Its limit: concurrent chats slow each other down (an agent's
  attention is split, so each chat's real handle time grows with ``c``), and a waiting chat is
  really picked up by whichever of the agent's ``c`` slots frees first. Feed it the AHT measured
  *at* the planned concurrency, and treat results for high ``c`` as optimistic.
- **Shrinkage** (share of paid time not spent on contacts: breaks, meetings, training, absence)
  turns the agents needed on the queue into agents to schedule: ``agents / (1 - shrinkage)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from relaydesk.capacity.erlang import QueueMetrics, agents_for_target
from relaydesk.capacity.errors import CapacityInputError, require_number

__all__ = ["INTERVAL_MINUTES", "IntervalStaffing", "Target", "required_staff", "summarize"]

INTERVAL_MINUTES = (15, 30, 60)


@dataclass(frozen=True)
class Target:
    """What each interval must achieve.

    ``service_level`` of contacts answered within ``within_seconds`` (the default is 80% in
    60 s), and optionally a mean wait ``asa_seconds`` and an agent ``max_occupancy``. Set
    ``service_level`` to None to staff on the other goals only; at least one goal is needed.
    """

    service_level: float | None = 0.8
    within_seconds: float = 60
    asa_seconds: float | None = None
    max_occupancy: float | None = None

    def __post_init__(self) -> None:
        if self.service_level is not None:
            level = require_number("Target.service_level", self.service_level)
            if not 0.0 < level < 1.0:
                raise CapacityInputError(
                    f"Target.service_level must be in (0, 1), got {self.service_level!r}: it "
                    f"is the share of contacts answered within within_seconds (e.g. 0.8), and "
                    f"1.0 cannot be guaranteed by any number of agents"
                )
        within = require_number("Target.within_seconds", self.within_seconds)
        if within < 0 or math.isinf(within):
            raise CapacityInputError(
                f"Target.within_seconds must be a finite number of seconds >= 0, "
                f"got {self.within_seconds!r}"
            )
        if (
            self.asa_seconds is not None
            and not require_number("Target.asa_seconds", self.asa_seconds) > 0
        ):
            raise CapacityInputError(
                f"Target.asa_seconds must be > 0 seconds, got {self.asa_seconds!r}: some contacts "
                f"always wait, so a mean wait of 0 cannot be met"
            )
        if self.max_occupancy is not None:
            cap = require_number("Target.max_occupancy", self.max_occupancy)
            if not 0.0 < cap <= 1.0:
                raise CapacityInputError(
                    f"Target.max_occupancy must be in (0, 1], got {self.max_occupancy!r}: it is "
                    f"the largest share of time an agent may spend handling contacts"
                )
        if self.service_level is None and self.asa_seconds is None and self.max_occupancy is None:
            raise CapacityInputError(
                "Target needs at least one goal: service_level, asa_seconds or max_occupancy"
            )


@dataclass(frozen=True)
class IntervalStaffing:
    """Staffing for interval ``start`` (its index in the forecast).

    ``agents`` are needed on the queue, handling contacts; ``scheduled`` is what must be on the
    schedule once shrinkage is allowed for (fractional: round when building rosters, after
    summing over teams). ``interval_minutes`` is kept so totals can be turned into hours.
    """

    start: int
    arrivals: float
    agents: int
    scheduled: float
    metrics: QueueMetrics
    interval_minutes: int


def _handle_times(aht_seconds: float | Sequence[float], intervals: int) -> list[float]:
    if isinstance(aht_seconds, numbers.Real) and not isinstance(aht_seconds, bool):
        values: list[object] = [aht_seconds] * intervals
        names = ["aht_seconds"] * intervals
    elif isinstance(aht_seconds, Sequence) and not isinstance(aht_seconds, str):
        if len(aht_seconds) != intervals:
            raise CapacityInputError(
                f"aht_seconds must be one number or one per interval: got {len(aht_seconds)} "
                f"values for {intervals} intervals of arrivals"
            )
        values = list(aht_seconds)
        names = [f"aht_seconds[{i}]" for i in range(intervals)]
    else:
        raise CapacityInputError(
            f"aht_seconds must be a number or a sequence of numbers, got {aht_seconds!r}"
        )
    result = []
    for name, value in zip(names, values, strict=True):
        seconds = require_number(name, value)
        if seconds <= 0 or math.isinf(seconds):
            raise CapacityInputError(
                f"{name} must be a finite number of seconds > 0 (average handle time), "
                f"got {value!r}"
            )
        result.append(seconds)
    return result


def required_staff(
    arrivals: Sequence[float],
    interval_minutes: int,
    aht_seconds: float | Sequence[float],
    target: Target,
    *,
    shrinkage: float = 0.3,
    concurrency: float = 1.0,
    patience_seconds: float | None = None,
) -> list[IntervalStaffing]:
    """Agents needed in each interval to meet ``target``.

    ``arrivals`` are contacts expected per interval of ``interval_minutes`` (15, 30 or 60);
    ``aht_seconds`` is one average handle time or one per interval. Erlang C when
    ``patience_seconds`` is None, else Erlang A with that mean patience. ``concurrency`` and
    ``shrinkage`` are applied as described in the module docstring.
    """
    if (
        isinstance(interval_minutes, bool)
        or not isinstance(interval_minutes, numbers.Integral)
        or interval_minutes not in INTERVAL_MINUTES
    ):
        raise CapacityInputError(
            f"interval_minutes must be one of {', '.join(map(str, INTERVAL_MINUTES))}, "
            f"got {interval_minutes!r}"
        )
    minutes = int(interval_minutes)
    share = require_number("shrinkage", shrinkage)
    if not 0.0 <= share < 1.0:
        raise CapacityInputError(
            f"shrinkage must be in [0, 1), got {shrinkage!r}: it is the share of paid time not "
            f"spent on contacts (e.g. 0.3 for breaks, meetings and absence)"
        )
    chats = require_number("concurrency", concurrency)
    if chats < 1.0 or math.isinf(chats):
        raise CapacityInputError(
            f"concurrency must be a finite number >= 1, got {concurrency!r}: it is how many "
            f"contacts an agent handles at once (1 for calls)"
        )
    if (
        patience_seconds is not None
        and not require_number("patience_seconds", patience_seconds) > 0
    ):
        raise CapacityInputError(
            f"patience_seconds must be > 0 (the mean wait before a contact hangs up) or None "
            f"for no abandonment, got {patience_seconds!r}"
        )
    if not isinstance(target, Target):
        raise CapacityInputError(f"target must be a Target, got {target!r}")
    if isinstance(arrivals, str) or not isinstance(arrivals, Sequence):
        raise CapacityInputError(
            f"arrivals must be a sequence of contact counts per interval, got {arrivals!r}"
        )
    counts = []
    for i, value in enumerate(arrivals):
        count = require_number(f"arrivals[{i}]", value)
        if count < 0 or math.isinf(count):
            raise CapacityInputError(
                f"arrivals[{i}] must be a finite number of contacts >= 0, got {value!r}"
            )
        counts.append(count)
    handle_times = _handle_times(aht_seconds, len(counts))

    seconds = minutes * 60.0
    staffing = []
    for i, (count, handle) in enumerate(zip(counts, handle_times, strict=True)):
        try:
            metrics = agents_for_target(
                count / seconds,
                handle / chats,
                target_seconds=target.within_seconds,
                service_level=target.service_level,
                asa=target.asa_seconds,
                patience=patience_seconds,
                max_occupancy=target.max_occupancy,
            )
        except CapacityInputError as error:
            raise CapacityInputError(f"interval {i} ({count:g} arrivals): {error}") from error
        staffing.append(
            IntervalStaffing(
                start=i,
                arrivals=count,
                agents=metrics.agents,
                scheduled=metrics.agents / (1.0 - share),
                metrics=metrics,
                interval_minutes=minutes,
            )
        )
    return staffing


def summarize(staffing: Sequence[IntervalStaffing]) -> dict[str, float]:
    """Totals over a day (or any run) of intervals.

    ``peak_agents`` / ``peak_scheduled``: the largest interval; ``agent_hours_scheduled`` and
    ``agent_hours_on_queue``: summed over intervals; ``service_level`` and ``asa_seconds``:
    averages weighted by arrivals, so they describe the average contact (1.0 and 0.0 when there
    are no arrivals); ``expected_abandons``: contacts expected to hang up (0 under Erlang C).
    """
    arrivals = sum(row.arrivals for row in staffing)
    busy = [row for row in staffing if row.arrivals > 0]
    return {
        "intervals": len(staffing),
        "arrivals": arrivals,
        "peak_agents": max((row.agents for row in staffing), default=0),
        "peak_scheduled": max((row.scheduled for row in staffing), default=0.0),
        "agent_hours_on_queue": sum(row.agents * row.interval_minutes / 60 for row in staffing),
        "agent_hours_scheduled": sum(row.scheduled * row.interval_minutes / 60 for row in staffing),
        "service_level": (
            sum(row.arrivals * row.metrics.service_level for row in busy) / arrivals
            if arrivals > 0
            else 1.0
        ),
        "asa_seconds": (
            sum(row.arrivals * row.metrics.asa for row in busy) / arrivals if arrivals > 0 else 0.0
        ),
        "expected_abandons": sum(row.arrivals * row.metrics.p_abandon for row in busy),
    }
