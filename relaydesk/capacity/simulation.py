"""A seeded discrete-event simulation of support queues: what the formulas cannot answer.

Erlang C assumes one skill, stationary arrivals, exponential handling and nobody hanging up.
This model drops those assumptions and measures the queue instead.

The model
---------
* **Time** is in seconds. The horizon is ``len(arrivals)`` intervals of ``interval_minutes``
  (15, 30 or 60) minutes; interval ``k`` is ``[k·L, (k+1)·L)``.
* **Contact types** (:class:`ContactType`). Arrivals are a non-homogeneous Poisson process,
  piecewise constant per interval: interval ``k`` gets ``Poisson(arrivals[k])`` contacts at
  uniformly distributed times. Handling time has mean ``aht_seconds``; it is exponential when
  ``aht_cv == 1``, constant when ``aht_cv == 0`` and lognormal with that coefficient of
  variation otherwise. A waiting contact abandons after an exponential patience of mean
  ``patience_seconds`` (``None``: it never abandons). Higher ``priority`` is served first.
* **Agent groups** (:class:`AgentGroup`) have skills (the contact types they handle) and a
  staffing curve, ``agents[k]`` agents on shift in interval ``k``: that is how shifts are
  expressed. When the curve drops, busy agents finish their contact and then leave; when it
  rises, the new agents take waiting work at once.
* **Routing.** An arriving contact goes to an idle agent with the skill, from the group with
  the most idle agents (ties: the first group in ``agent_groups``); otherwise it waits in its
  type's queue. A freed agent takes the highest-priority contact among the queues it has
  skills for, and within a priority the one that has waited longest (FIFO).
* **End of the horizon.** Arrivals stop; the last interval's staffing stays on until every
  contact is answered or has abandoned, so the last intervals are not cut short. A contact
  that can never be answered (no agent with its skill on shift at the end and no patience)
  is *unresolved*: it counts as neither answered nor abandoned, and its wait runs to the end
  of the run.

What is measured
----------------
Per interval (by the interval the contact *arrived* in) and per contact type: arrivals,
answered, abandoned, abandonment rate, service level (answered within ``target_seconds`` /
arrivals, abandoned contacts included in the denominator), mean wait over all arrivals (time
until answer or abandonment), mean wait of the answered, and the p50/p90/p99 of waits. Also
``answered_during``: contacts answered *during* the interval, whatever interval they arrived
in (the work done in it). Per agent group and interval: utilisation, busy agent-seconds over
available agent-seconds, where available is ``max(scheduled, busy)`` at each instant so an
agent finishing a contact after their shift ended counts as available until they leave.
Utilisation is undefined (``NaN``, ``None`` in JSON) for an interval nobody was available in.
Time after the horizon counts for no interval. The first ``warmup_intervals`` are left out of
every statistic (the simulation starts with empty queues and idle agents).

Replications and confidence intervals
-------------------------------------
Each replication draws from its own ``numpy`` generator, spawned from
``SeedSequence(seed)``; inside a replication each contact type has its own stream. All the
random numbers (arrival times, handling times, patiences) are drawn before the run, so they
do not depend on staffing or routing: two configurations that differ only in staffing see the
same contacts under the same seed (common random numbers, a sharper comparison). Every figure
is computed per replication, then reported as the mean across replications with a 95%
confidence interval ``mean ± t(0.975, n-1)·s/√n`` (Student t; :func:`t_critical`). A ratio
that is undefined in a replication (a service level in an interval with no arrivals) is left
out of that figure's mean, and ``replications`` on the estimate says how many counted.

Speed
-----
A hand-written event loop on ``heapq`` (simpy is about ten times slower and is kept as the
test oracle only). Arrivals are a pre-sorted stream merged with the heap rather than heap
entries; heap entries are plain tuples; abandonment events of contacts answered meanwhile are
dropped when they come up (lazy deletion), and so are abandoned contacts in the queues.
Statistics are computed afterwards with numpy from per-contact arrays.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from relaydesk.capacity.errors import CapacityInputError

__all__ = [
    "AgentGroup",
    "ContactStats",
    "ContactType",
    "Estimate",
    "GroupStats",
    "IntervalStats",
    "Series",
    "SimulationConfig",
    "SimulationResult",
    "simulate",
    "t_critical",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

INTERVAL_MINUTES = (15, 30, 60)
QUANTILES = (0.5, 0.9, 0.99)
# One replication's contacts live in memory (a few hundred bytes each); beyond this the run
# would not fit on an ordinary machine and should be split by horizon.
MAX_EXPECTED_CONTACTS = 20_000_000


# --- input ------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return _is_number(value) and math.isfinite(float(value))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ContactType:
    """One kind of contact (a queue): its demand per interval and how it is handled."""

    name: str
    arrivals: Sequence[float]
    aht_seconds: float
    aht_cv: float = 1.0
    patience_seconds: float | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise CapacityInputError(
                f"contact type name {self.name!r}: give a non-empty string such as 'chat'"
            )
        where = f"contact type {self.name!r}"
        _check_curve(self.arrivals, f"{where}: arrivals", whole=False)
        if not _finite(self.aht_seconds) or self.aht_seconds <= 0:
            raise CapacityInputError(
                f"{where}: aht_seconds is {self.aht_seconds!r}; give the mean handling time "
                "in seconds, a finite number > 0"
            )
        if not _finite(self.aht_cv) or self.aht_cv < 0:
            raise CapacityInputError(
                f"{where}: aht_cv is {self.aht_cv!r}; give the coefficient of variation of "
                "handling time, a finite number >= 0 (1.0 = exponential, 0 = constant)"
            )
        if self.patience_seconds is not None and (
            not _finite(self.patience_seconds) or self.patience_seconds <= 0
        ):
            raise CapacityInputError(
                f"{where}: patience_seconds is {self.patience_seconds!r}; give the mean "
                "patience in seconds (> 0), or None if these contacts never abandon"
            )
        if not isinstance(self.priority, int | np.integer) or isinstance(self.priority, bool):
            raise CapacityInputError(
                f"{where}: priority is {self.priority!r}; give an integer (higher is served first)"
            )


@dataclass(frozen=True)
class AgentGroup:
    """Agents with the same skills, and how many of them are on shift in each interval."""

    name: str
    skills: frozenset[str]
    agents: Sequence[int]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise CapacityInputError(
                f"agent group name {self.name!r}: give a non-empty string such as 'tier1'"
            )
        where = f"agent group {self.name!r}"
        if (
            isinstance(self.skills, str)
            or not isinstance(self.skills, frozenset | set | tuple | list)
            or not self.skills
            or not all(isinstance(s, str) for s in self.skills)
        ):
            raise CapacityInputError(
                f"{where}: skills is {self.skills!r}; give a non-empty frozenset of contact "
                "type names, e.g. frozenset({'chat'})"
            )
        _check_curve(self.agents, f"{where}: agents", whole=True)


def _check_curve(values: object, where: str, *, whole: bool) -> None:
    what = "agents on shift" if whole else "expected contacts"
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise CapacityInputError(f"{where}: give a sequence with the {what} per interval")
    items = list(values)  # type: ignore[call-overload]
    if not items:
        raise CapacityInputError(f"{where} is empty: give the {what} for every interval")
    for k, value in enumerate(items):
        if not _finite(value) or value < 0:
            raise CapacityInputError(
                f"{where}[{k}] is {value!r}: the {what} must be a finite number >= 0"
            )
        if whole and float(value) != int(value):
            raise CapacityInputError(f"{where}[{k}] is {value!r}: agents must be whole numbers")


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate: the horizon, the demand, the staffing, and how to measure it."""

    interval_minutes: int
    contact_types: tuple[ContactType, ...]
    agent_groups: tuple[AgentGroup, ...]
    target_seconds: float = 60
    replications: int = 10
    seed: int = 0
    warmup_intervals: int = 0

    def __post_init__(self) -> None:
        if self.interval_minutes not in INTERVAL_MINUTES or isinstance(self.interval_minutes, bool):
            raise CapacityInputError(
                f"interval_minutes is {self.interval_minutes!r}; use one of 15, 30 or 60"
            )
        if not self.contact_types or not all(
            isinstance(c, ContactType) for c in self.contact_types
        ):
            raise CapacityInputError("contact_types: give a non-empty tuple of ContactType")
        if not self.agent_groups or not all(isinstance(g, AgentGroup) for g in self.agent_groups):
            raise CapacityInputError("agent_groups: give a non-empty tuple of AgentGroup")
        type_names = [c.name for c in self.contact_types]
        group_names = [g.name for g in self.agent_groups]
        for kind, names in (("contact type", type_names), ("agent group", group_names)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise CapacityInputError(f"{kind} names must be unique; repeated: {repeated}")
        intervals = len(self.contact_types[0].arrivals)
        for c in self.contact_types:
            if len(c.arrivals) != intervals:
                raise CapacityInputError(
                    f"contact type {c.name!r} has {len(c.arrivals)} intervals of arrivals but "
                    f"{type_names[0]!r} has {intervals}: every arrivals and agents list must "
                    "cover the same intervals"
                )
        for g in self.agent_groups:
            if len(g.agents) != intervals:
                raise CapacityInputError(
                    f"agent group {g.name!r} has {len(g.agents)} intervals of agents but the "
                    f"arrivals have {intervals}: every arrivals and agents list must cover the "
                    "same intervals"
                )
            unknown = sorted(set(g.skills) - set(type_names))
            if unknown:
                raise CapacityInputError(
                    f"agent group {g.name!r} has skills {unknown} that are not contact types; "
                    f"the contact types are {type_names}"
                )
        for c in self.contact_types:
            if not any(c.name in g.skills for g in self.agent_groups):
                raise CapacityInputError(
                    f"no agent group can serve contact type {c.name!r}: add it to the skills "
                    "of at least one group"
                )
        if not _finite(self.target_seconds) or self.target_seconds < 0:
            raise CapacityInputError(
                f"target_seconds is {self.target_seconds!r}; give the service-level target "
                "in seconds, a finite number >= 0"
            )
        if not _is_int(self.replications) or self.replications < 1:
            raise CapacityInputError(
                f"replications is {self.replications!r}; give a whole number >= 1 (2 or more "
                "for confidence intervals)"
            )
        if not _is_int(self.seed) or self.seed < 0:
            raise CapacityInputError(f"seed is {self.seed!r}; give a whole number >= 0")
        if (
            not _is_int(self.warmup_intervals)
            or self.warmup_intervals < 0
            or self.warmup_intervals >= intervals
        ):
            raise CapacityInputError(
                f"warmup_intervals is {self.warmup_intervals!r}; give a whole number from 0 "
                f"to {intervals - 1} (the horizon has {intervals} intervals)"
            )
        expected = sum(float(sum(c.arrivals)) for c in self.contact_types)
        if expected > MAX_EXPECTED_CONTACTS:
            raise CapacityInputError(
                f"about {expected:,.0f} contacts per replication is more than "
                f"{MAX_EXPECTED_CONTACTS:,} fit in memory: simulate a shorter horizon"
            )

    @property
    def intervals(self) -> int:
        return len(self.contact_types[0].arrivals)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


# --- output -----------------------------------------------------------------------------


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


@dataclass(frozen=True)
class Estimate:
    """A mean across replications with its 95% confidence interval.

    ``half_width`` is NaN with fewer than two replications (no interval), ``mean`` is NaN
    when the figure was undefined in every replication; ``replications`` is how many counted.
    """

    mean: float
    half_width: float
    replications: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": _json_float(self.mean),
            "low": _json_float(self.low),
            "high": _json_float(self.high),
            "half_width": _json_float(self.half_width),
            "replications": self.replications,
        }


@dataclass(frozen=True)
class Series:
    """One figure per measured interval: means across replications and 95% CI half-widths."""

    mean: tuple[float, ...]
    half_width: tuple[float, ...]

    @property
    def low(self) -> tuple[float, ...]:
        return tuple(m - h for m, h in zip(self.mean, self.half_width, strict=True))

    @property
    def high(self) -> tuple[float, ...]:
        return tuple(m + h for m, h in zip(self.mean, self.half_width, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": [_json_float(v) for v in self.mean],
            "low": [_json_float(v) for v in self.low],
            "high": [_json_float(v) for v in self.high],
        }


def _fields_to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, Estimate | Series | ContactStats | IntervalStats | GroupStats):
            out[f.name] = value.to_dict()
        elif isinstance(value, Mapping):
            out[f.name] = {k: v.to_dict() for k, v in value.items()}
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        elif isinstance(value, float):
            out[f.name] = _json_float(value)
        else:
            out[f.name] = value
    return out


@dataclass(frozen=True)
class ContactStats:
    """Contacts over the measured horizon, for one contact type or for all of them."""

    arrivals: Estimate
    answered: Estimate
    abandoned: Estimate
    unresolved: Estimate
    abandonment_rate: Estimate
    service_level: Estimate
    mean_wait: Estimate
    mean_wait_answered: Estimate
    wait_p50: Estimate
    wait_p90: Estimate
    wait_p99: Estimate

    def to_dict(self) -> dict[str, Any]:
        return _fields_to_dict(self)


@dataclass(frozen=True)
class IntervalStats:
    """Contacts per measured interval (by arrival interval, except ``answered_during``)."""

    arrivals: Series
    answered: Series
    abandoned: Series
    answered_during: Series
    abandonment_rate: Series
    service_level: Series
    mean_wait: Series
    mean_wait_answered: Series
    wait_p50: Series
    wait_p90: Series
    wait_p99: Series

    def to_dict(self) -> dict[str, Any]:
        return _fields_to_dict(self)


@dataclass(frozen=True)
class GroupStats:
    """One agent group: how busy it was and what it answered (measured horizon)."""

    utilisation: Estimate
    utilisation_by_interval: Series
    answered: Mapping[str, Estimate]

    def to_dict(self) -> dict[str, Any]:
        return _fields_to_dict(self)


@dataclass(frozen=True)
class SimulationResult:
    """Everything :func:`simulate` measured; ``to_dict()`` is JSON-ready (NaN → None)."""

    interval_minutes: int
    first_interval: int
    interval_start_seconds: tuple[float, ...]
    replications: int
    seed: int
    target_seconds: float
    contacts_simulated: int
    overall: ContactStats
    by_type: Mapping[str, ContactStats]
    intervals: IntervalStats
    intervals_by_type: Mapping[str, IntervalStats]
    utilisation: Estimate
    utilisation_by_interval: Series
    groups: Mapping[str, GroupStats]

    def to_dict(self) -> dict[str, Any]:
        return _fields_to_dict(self)


# --- statistics helpers -------------------------------------------------------------------

# Two-sided 95% critical values of Student's t, t(0.975, df) for df = 1..30.
_T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip
_Z975 = 1.959963984540054


def t_critical(df: int) -> float:
    """t(0.975, df), the 95% two-sided critical value of Student's t.

    A table for df ≤ 30; above it the Cornish-Fisher expansion around the normal quantile
    (Abramowitz & Stegun 26.7.5), whose error there is below 1e-6.
    """
    if df < 1:
        raise CapacityInputError(f"degrees of freedom is {df}; it must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, NaN where den is 0 (no warning: an empty interval is not an error)."""
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _grouped_quantiles(keys: IntArray, values: FloatArray, n_keys: int) -> FloatArray:
    """The QUANTILES of ``values`` within each key (linear interpolation, as numpy's default).

    Shape (n_keys, len(QUANTILES)); NaN for empty keys. Most waits are exactly 0 (answered at
    once), so only the positive ones are sorted and the zeros are counted.
    """
    out = np.full((n_keys, len(QUANTILES)), np.nan)
    counts = np.bincount(keys, minlength=n_keys)
    positive = values > 0
    pos_keys = keys[positive]
    pos_values = values[positive]
    pos_sorted = pos_values[np.lexsort((pos_values, pos_keys))]
    pos_counts = np.bincount(pos_keys, minlength=n_keys)
    zeros = counts - pos_counts
    starts = np.cumsum(pos_counts) - pos_counts
    has = np.flatnonzero(counts)
    if has.size == 0:
        return out
    c, z, s = counts[has], zeros[has], starts[has]

    def value_at(rank: IntArray) -> FloatArray:
        index = np.clip(s + rank - z, 0, max(pos_sorted.size - 1, 0))
        picked = pos_sorted[index] if pos_sorted.size else np.zeros(rank.shape)
        return np.where(rank < z, 0.0, picked)

    for qi, q in enumerate(QUANTILES):
        position = q * (c - 1)
        lo = np.floor(position).astype(np.int64)
        hi = np.minimum(lo + 1, c - 1)
        v_lo, v_hi = value_at(lo), value_at(hi)
        out[has, qi] = v_lo + (position - lo) * (v_hi - v_lo)
    return out


def _summarise(stack: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Mean, 95% CI half-width and count over axis 0, skipping NaN (undefined) entries."""
    ok = ~np.isnan(stack)
    n = ok.sum(axis=0).astype(np.int64)
    mean = _ratio(np.where(ok, stack, 0.0).sum(axis=0), n.astype(np.float64))
    squares = np.where(ok, (stack - mean) ** 2, 0.0).sum(axis=0)
    variance = _ratio(squares, (n - 1).astype(np.float64))
    # Indexed by degrees of freedom n - 1; df 0 (one value) has no interval.
    t_table = np.array([np.nan] + [t_critical(df) for df in range(1, stack.shape[0])])
    crit = t_table[np.clip(n - 1, 0, stack.shape[0] - 1)]
    half = crit * np.sqrt(_ratio(variance, n.astype(np.float64)))
    return mean, half, n


def _estimate(per_rep: Sequence[float] | FloatArray) -> Estimate:
    mean, half, n = _summarise(np.asarray(per_rep, dtype=np.float64).reshape(-1, 1))
    return Estimate(float(mean[0]), float(half[0]), int(n[0]))


def _series(per_rep: Sequence[FloatArray]) -> Series:
    mean, half, _ = _summarise(np.stack(per_rep))
    return Series(tuple(mean.tolist()), tuple(half.tolist()))


# --- one replication ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """The validated configuration as arrays and routing tables."""

    interval_seconds: float
    intervals: int
    rates: FloatArray  # (types, intervals)
    agents: list[list[int]]  # [group][interval]
    type_groups: list[tuple[int, ...]]  # groups with the skill, in group order
    group_levels: list[list[list[int]]]  # per group: its types by priority level, highest first


def _plan(config: SimulationConfig) -> _Plan:
    names = [c.name for c in config.contact_types]
    type_groups = [
        tuple(g for g, group in enumerate(config.agent_groups) if c.name in group.skills)
        for c in config.contact_types
    ]
    group_levels: list[list[list[int]]] = []
    for group in config.agent_groups:
        served = [names.index(s) for s in group.skills]
        priorities = sorted({config.contact_types[j].priority for j in served}, reverse=True)
        group_levels.append(
            [sorted(j for j in served if config.contact_types[j].priority == p) for p in priorities]
        )
    return _Plan(
        interval_seconds=config.interval_minutes * 60.0,
        intervals=config.intervals,
        rates=np.array([[float(a) for a in c.arrivals] for c in config.contact_types]),
        agents=[[int(a) for a in g.agents] for g in config.agent_groups],
        type_groups=type_groups,
        group_levels=group_levels,
    )


@dataclass(frozen=True)
class _Contacts:
    """One replication's contacts in arrival order, with what happened to them."""

    arrival: FloatArray
    type_index: IntArray
    interval: IntArray
    service: FloatArray
    outcome: npt.NDArray[np.uint8]  # 0 unresolved, 1 answered, 2 abandoned
    end: FloatArray  # answer or abandonment time; end of run if unresolved
    group: IntArray  # answering group, -1 if not answered


def _draw(
    config: SimulationConfig, plan: _Plan, seed: np.random.SeedSequence
) -> tuple[FloatArray, IntArray, IntArray, FloatArray, FloatArray]:
    """Arrival times, types, intervals, handling times and abandonment deadlines."""
    parts: list[tuple[FloatArray, IntArray, FloatArray, FloatArray]] = []
    length = plan.interval_seconds
    for j, (contact, stream) in enumerate(
        zip(config.contact_types, seed.spawn(len(config.contact_types)), strict=True)
    ):
        rng = np.random.default_rng(stream)
        counts = rng.poisson(plan.rates[j])
        n = int(counts.sum())
        interval = np.repeat(np.arange(plan.intervals, dtype=np.int64), counts)
        arrival = (interval + rng.random(n)) * length
        aht, cv = float(contact.aht_seconds), float(contact.aht_cv)
        if cv == 1.0:
            service = rng.exponential(aht, n)
        elif cv == 0.0:
            service = np.full(n, aht)
        else:
            # Lognormal with mean aht and sd cv·aht: sigma² = ln(1 + cv²), mu = ln(aht) - sigma²/2.
            sigma2 = math.log1p(cv * cv)
            service = rng.lognormal(math.log(aht) - sigma2 / 2, math.sqrt(sigma2), n)
        if contact.patience_seconds is None:
            deadline = np.full(n, np.inf)
        else:
            deadline = arrival + rng.exponential(float(contact.patience_seconds), n)
        parts.append((arrival, interval, service, deadline))
    arrival = np.concatenate([p[0] for p in parts])
    order = np.argsort(arrival, kind="stable")
    types = np.concatenate([np.full(p[0].size, j, dtype=np.int64) for j, p in enumerate(parts)])
    return (
        arrival[order],
        types[order],
        np.concatenate([p[1] for p in parts])[order],
        np.concatenate([p[2] for p in parts])[order],
        np.concatenate([p[3] for p in parts])[order],
    )


def _run_events(
    plan: _Plan,
    arrival_times: list[float],
    arrival_types: list[int],
    service: list[float],
    deadline: list[float],
) -> tuple[bytearray, list[float], list[int], float]:
    """The event loop. Returns outcome, end time and answering group per contact, and the
    time the run stopped.

    Heap entries are ``(time, contact, g)``: a service end by group ``g >= 0``; an
    abandonment when ``g == -1``; a staffing change to interval ``-g`` when ``contact == -1``.
    Contact ids are arrival ranks, so the lowest id at a queue front waited longest.
    """
    n = len(arrival_times)
    n_groups = len(plan.agents)
    agents = plan.agents
    intervals = plan.intervals
    length = plan.interval_seconds
    group_levels = plan.group_levels
    type_groups = plan.type_groups
    single = [gs[0] if len(gs) == 1 else -1 for gs in type_groups]
    staffed = [a[0] for a in agents]
    busy = [0] * n_groups
    queues: list[deque[int]] = [deque() for _ in type_groups]
    outcome = bytearray(n)
    end = arrival_times.copy()  # immediately answered contacts keep end == arrival
    group = [-1] * n
    heap: list[tuple[float, int, int]] = []
    push = heapq.heappush
    pop = heapq.heappop
    inf = math.inf
    waiting = 0  # live (not abandoned) contacts in all queues

    def take(g: int) -> int:
        """The contact a free agent of group g answers next, removed from its queue; -1 if none."""
        for level in group_levels[g]:
            best = -1
            best_queue: deque[int] | None = None
            for j in level:
                q = queues[j]
                while q and outcome[q[0]]:  # abandoned: dropped lazily here
                    q.popleft()
                if q and (best < 0 or q[0] < best):
                    best = q[0]
                    best_queue = q
            if best_queue is not None:
                best_queue.popleft()
                return best
        return -1

    if intervals > 1:
        push(heap, (length, -1, -1))
    i = 0
    next_arrival = arrival_times[0] if n else inf
    t = 0.0
    while True:
        # Ties go to the heap: an agent freed at t can take a contact arriving at t.
        if heap and heap[0][0] <= next_arrival:
            t, c, g = pop(heap)
            if g >= 0:  # service end
                b = busy[g] - 1
                busy[g] = b
                if waiting and b < staffed[g]:  # b >= staffed: this agent's shift is over
                    c = take(g)
                    if c >= 0:
                        waiting -= 1
                        outcome[c] = 1
                        end[c] = t
                        group[c] = g
                        busy[g] = b + 1
                        push(heap, (t + service[c], c, g))
            elif c >= 0:  # abandonment, unless answered meanwhile
                if not outcome[c]:
                    outcome[c] = 2
                    end[c] = t
                    waiting -= 1
            else:  # staffing change
                k = -g
                for gg in range(n_groups):
                    on_shift = agents[gg][k]
                    staffed[gg] = on_shift
                    while waiting and busy[gg] < on_shift:
                        c = take(gg)
                        if c < 0:
                            break
                        waiting -= 1
                        outcome[c] = 1
                        end[c] = t
                        group[c] = gg
                        busy[gg] += 1
                        push(heap, (t + service[c], c, gg))
                if k + 1 < intervals:
                    push(heap, ((k + 1) * length, -1, -(k + 1)))
            continue
        if i == n:
            break
        t = next_arrival
        c = i
        i += 1
        next_arrival = arrival_times[i] if i < n else inf
        j = arrival_types[c]
        g = single[j]
        if g < 0:  # several groups have the skill: the one with the most idle agents
            most_idle = 0
            for gg in type_groups[j]:
                idle = staffed[gg] - busy[gg]
                if idle > most_idle:
                    most_idle = idle
                    g = gg
        if g >= 0 and busy[g] < staffed[g]:
            outcome[c] = 1
            group[c] = g
            busy[g] += 1
            push(heap, (t + service[c], c, g))
        else:
            queues[j].append(c)
            waiting += 1
            d = deadline[c]
            if d < inf:
                push(heap, (d, c, -1))
    return outcome, end, group, max(t, intervals * length)


def _replicate(config: SimulationConfig, plan: _Plan, seed: np.random.SeedSequence) -> _Contacts:
    arrival, types, interval, service, deadline = _draw(config, plan, seed)
    outcome, end, group, stop = _run_events(
        plan, arrival.tolist(), types.tolist(), service.tolist(), deadline.tolist()
    )
    outcome_array = np.frombuffer(bytes(outcome), dtype=np.uint8)
    end_array = np.array(end, dtype=np.float64)
    end_array[outcome_array == 0] = stop
    return _Contacts(
        arrival=arrival,
        type_index=types,
        interval=interval,
        service=service,
        outcome=outcome_array,
        end=end_array,
        group=np.array(group, dtype=np.int64),
    )


def _busy_and_available(
    plan: _Plan, start: FloatArray, duration: FloatArray, scheduled: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Busy and available agent-seconds per interval for one group.

    The busy count is a step function (+1 at each answer, -1 at each end); interval boundaries
    are added as points so no segment straddles one, and the horizon's end cuts it off.
    """
    length = plan.interval_seconds
    horizon = plan.intervals * length
    boundaries = np.arange(plan.intervals + 1, dtype=np.float64) * length
    times = np.concatenate((start, start + duration, boundaries))
    steps = np.concatenate((np.ones(start.size), -np.ones(start.size), np.zeros(boundaries.size)))
    order = np.argsort(times, kind="stable")
    times = times[order]
    level = np.cumsum(steps[order])
    seconds = np.diff(times)
    level = level[:-1]
    inside = times[:-1] < horizon
    seconds, level = seconds[inside], level[inside]
    index = (times[:-1][inside] // length).astype(np.int64)
    busy = np.bincount(index, weights=level * seconds, minlength=plan.intervals).astype(np.float64)
    # Agents past their shift finishing a contact are available until they leave.
    overtime = np.maximum(level - scheduled[index], 0.0) * seconds
    overtime_seconds = np.bincount(index, weights=overtime, minlength=plan.intervals)
    available = (scheduled * length + overtime_seconds).astype(np.float64)
    return busy, available


@dataclass
class _Figures:
    """One replication's figures, measured intervals only; ratios are NaN when undefined."""

    overall: dict[str, FloatArray]  # name -> scalar (shape ())
    by_type: list[dict[str, FloatArray]]
    intervals: dict[str, FloatArray]  # name -> (measured intervals,)
    intervals_by_type: list[dict[str, FloatArray]]
    utilisation: float
    utilisation_by_interval: FloatArray
    group_utilisation: list[float]
    group_utilisation_by_interval: list[FloatArray]
    group_answered: FloatArray  # (groups, types)


def _contact_figures(
    sums: Mapping[str, FloatArray], quantiles: FloatArray
) -> dict[str, FloatArray]:
    arrivals, answered, abandoned = sums["arrivals"], sums["answered"], sums["abandoned"]
    return {
        "arrivals": arrivals,
        "answered": answered,
        "abandoned": abandoned,
        "unresolved": sums["unresolved"],
        "abandonment_rate": _ratio(abandoned, arrivals),
        "service_level": _ratio(sums["within"], arrivals),
        "mean_wait": _ratio(sums["wait_sum"], arrivals),
        "mean_wait_answered": _ratio(sums["wait_answered_sum"], answered),
        "wait_p50": quantiles[..., 0],
        "wait_p90": quantiles[..., 1],
        "wait_p99": quantiles[..., 2],
    }


def _figures(config: SimulationConfig, plan: _Plan, contacts: _Contacts) -> _Figures:
    n_types = len(config.contact_types)
    n_int = plan.intervals
    first = config.warmup_intervals
    wait = contacts.end - contacts.arrival
    answered = contacts.outcome == 1
    abandoned = contacts.outcome == 2
    unresolved = contacts.outcome == 0
    within = answered & (wait <= config.target_seconds)
    cell = contacts.interval * n_types + contacts.type_index

    def per_cell(weights: npt.NDArray[Any]) -> FloatArray:
        counts = np.bincount(cell, weights=weights, minlength=n_int * n_types)
        return counts.reshape(n_int, n_types)[first:].astype(np.float64)

    ones = np.ones(cell.size)
    sums = {
        "arrivals": per_cell(ones),
        "answered": per_cell(answered.astype(np.float64)),
        "abandoned": per_cell(abandoned.astype(np.float64)),
        "unresolved": per_cell(unresolved.astype(np.float64)),
        "within": per_cell(within.astype(np.float64)),
        "wait_sum": per_cell(wait),
        "wait_answered_sum": per_cell(np.where(answered, wait, 0.0)),
    }
    measured = contacts.interval >= first
    m_wait = wait[measured]
    m_types = contacts.type_index[measured]
    m_intervals = contacts.interval[measured] - first
    n_measured = n_int - first
    q_cell = _grouped_quantiles(m_intervals * n_types + m_types, m_wait, n_measured * n_types)
    q_cell = q_cell.reshape(n_measured, n_types, len(QUANTILES))
    q_interval = (
        q_cell[:, 0, :] if n_types == 1 else _grouped_quantiles(m_intervals, m_wait, n_measured)
    )
    q_type = _grouped_quantiles(m_types, m_wait, n_types)
    q_all = _grouped_quantiles(np.zeros(m_wait.size, dtype=np.int64), m_wait, 1)[0]

    intervals = _contact_figures({k: v.sum(axis=1) for k, v in sums.items()}, q_interval)
    by_interval_type = [
        _contact_figures({k: v[:, j] for k, v in sums.items()}, q_cell[:, j, :])
        for j in range(n_types)
    ]
    overall = _contact_figures({k: np.asarray(v.sum()) for k, v in sums.items()}, q_all)
    by_type = [
        _contact_figures({k: np.asarray(v[:, j].sum()) for k, v in sums.items()}, q_type[j])
        for j in range(n_types)
    ]

    # Answered during an interval: by answer time, within the horizon.
    answer_interval = (contacts.end[answered] // plan.interval_seconds).astype(np.int64)
    answer_cell = answer_interval * n_types + contacts.type_index[answered]
    inside = answer_interval < n_int
    during = np.bincount(answer_cell[inside], minlength=n_int * n_types).reshape(n_int, n_types)
    during_measured = during[first:].astype(np.float64)
    intervals["answered_during"] = during_measured.sum(axis=1)
    for j in range(n_types):
        by_interval_type[j]["answered_during"] = during_measured[:, j]

    busy_total = np.zeros(n_measured)
    available_total = np.zeros(n_measured)
    group_utilisation: list[float] = []
    group_by_interval: list[FloatArray] = []
    group_answered = np.zeros((len(plan.agents), n_types))
    for g, scheduled in enumerate(plan.agents):
        mine = contacts.group == g
        busy, available = _busy_and_available(
            plan,
            contacts.end[mine],
            contacts.service[mine],
            np.array(scheduled, dtype=np.int64),
        )
        busy, available = busy[first:], available[first:]
        busy_total += busy
        available_total += available
        group_by_interval.append(_ratio(busy, available))
        group_utilisation.append(float(_ratio(busy.sum(), available.sum())))
        group_answered[g] = np.bincount(
            contacts.type_index[mine & measured], minlength=n_types
        ).astype(np.float64)
    return _Figures(
        overall=overall,
        by_type=by_type,
        intervals=intervals,
        intervals_by_type=by_interval_type,
        utilisation=float(_ratio(busy_total.sum(), available_total.sum())),
        utilisation_by_interval=_ratio(busy_total, available_total),
        group_utilisation=group_utilisation,
        group_utilisation_by_interval=group_by_interval,
        group_answered=group_answered,
    )


# --- the entry point ----------------------------------------------------------------------


def simulate(
    config: SimulationConfig, progress: Callable[[int], None] | None = None
) -> SimulationResult:
    """Run ``config.replications`` seeded replications and summarise them.

    ``progress`` is called with the number of replications done after each one.
    """
    if not isinstance(config, SimulationConfig):
        raise CapacityInputError("simulate() takes a SimulationConfig")
    plan = _plan(config)
    seeds = np.random.SeedSequence(config.seed).spawn(config.replications)
    runs: list[_Figures] = []
    contacts_simulated = 0
    for r, seed in enumerate(seeds):
        contacts = _replicate(config, plan, seed)
        contacts_simulated += int(contacts.arrival.size)
        runs.append(_figures(config, plan, contacts))
        if progress is not None:
            progress(r + 1)

    def contact_stats(per_run: Sequence[dict[str, FloatArray]]) -> ContactStats:
        return ContactStats(
            **{
                f.name: _estimate([float(run[f.name]) for run in per_run])
                for f in fields(ContactStats)
            }
        )

    def interval_stats(per_run: Sequence[dict[str, FloatArray]]) -> IntervalStats:
        return IntervalStats(
            **{f.name: _series([run[f.name] for run in per_run]) for f in fields(IntervalStats)}
        )

    type_names = [c.name for c in config.contact_types]
    groups = {
        group.name: GroupStats(
            utilisation=_estimate([run.group_utilisation[g] for run in runs]),
            utilisation_by_interval=_series([run.group_utilisation_by_interval[g] for run in runs]),
            answered={
                name: _estimate([float(run.group_answered[g, j]) for run in runs])
                for j, name in enumerate(type_names)
            },
        )
        for g, group in enumerate(config.agent_groups)
    }
    first = config.warmup_intervals
    return SimulationResult(
        interval_minutes=config.interval_minutes,
        first_interval=first,
        interval_start_seconds=tuple(
            float(k * plan.interval_seconds) for k in range(first, plan.intervals)
        ),
        replications=config.replications,
        seed=config.seed,
        target_seconds=float(config.target_seconds),
        contacts_simulated=contacts_simulated,
        overall=contact_stats([run.overall for run in runs]),
        by_type={
            name: contact_stats([run.by_type[j] for run in runs])
            for j, name in enumerate(type_names)
        },
        intervals=interval_stats([run.intervals for run in runs]),
        intervals_by_type={
            name: interval_stats([run.intervals_by_type[j] for run in runs])
            for j, name in enumerate(type_names)
        },
        utilisation=_estimate([run.utilisation for run in runs]),
        utilisation_by_interval=_series([run.utilisation_by_interval for run in runs]),
        groups=groups,
    )
