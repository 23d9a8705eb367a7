"""The queue simulation against an independent simpy model, Erlang C, and its own rules."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from relaydesk.capacity.errors import CapacityInputError
from relaydesk.capacity.simulation import (
    AgentGroup,
    ContactType,
    Estimate,
    SimulationConfig,
    _grouped_quantiles,
    simulate,
    t_critical,
)


def one_queue(
    rates: list[float],
    agents: int | list[int],
    *,
    aht: float = 300.0,
    cv: float = 1.0,
    patience: float | None = None,
    interval_minutes: int = 60,
    **config: Any,
) -> SimulationConfig:
    staffing = agents if isinstance(agents, list) else [agents] * len(rates)
    return SimulationConfig(
        interval_minutes=interval_minutes,
        contact_types=(ContactType("chat", rates, aht, cv, patience),),
        agent_groups=(AgentGroup("team", frozenset({"chat"}), staffing),),
        **config,
    )


def contains(estimate: Estimate, value: float, widen: float = 1.0) -> bool:
    """The estimate's 95% CI (``widen`` times wider) contains ``value``."""
    return abs(estimate.mean - value) <= widen * estimate.half_width


def agree(a: Estimate, b: Estimate) -> bool:
    """The 95% CI of the difference of two independent means contains 0."""
    return abs(a.mean - b.mean) <= math.hypot(a.half_width, b.half_width)


# --- an independent model: simpy ------------------------------------------------------------


def simpy_replication(
    rates: list[float],
    interval_seconds: float,
    agents: int,
    aht: float,
    patience: float,
    target: float,
    warmup_intervals: int,
    seed: int,
) -> dict[str, float]:
    """The same single queue written the textbook way: a Resource, a patience timeout racing
    the request, arrivals by exponential gaps (restarted at each interval: memoryless)."""
    simpy = pytest.importorskip("simpy")
    env = simpy.Environment()
    team = simpy.Resource(env, capacity=agents)
    rng = np.random.default_rng(seed)
    records: list[tuple[int, float, bool]] = []

    def contact(interval: int) -> Any:
        arrived = env.now
        with team.request() as request:
            outcome = yield request | env.timeout(rng.exponential(patience))
            records.append((interval, env.now - arrived, request in outcome))
            if request in outcome:
                yield env.timeout(rng.exponential(aht))

    def source() -> Any:
        for k, rate in enumerate(rates):
            end = (k + 1) * interval_seconds
            while True:
                gap = rng.exponential(interval_seconds / rate)
                if env.now + gap >= end:
                    yield env.timeout(end - env.now)
                    break
                yield env.timeout(gap)
                env.process(contact(k))

    env.process(source())
    env.run()
    measured = [(w, answered) for k, w, answered in records if k >= warmup_intervals]
    waits = np.array([w for w, _ in measured])
    answered = np.array([a for _, a in measured])
    return {
        "mean_wait": float(waits.mean()),
        "mean_wait_answered": float(waits[answered].mean()),
        "service_level": float(np.mean(answered & (waits <= target))),
        "abandonment_rate": float(np.mean(~answered)),
    }


def test_agrees_with_an_independent_simpy_model() -> None:
    # Alternating load, the busy hours above capacity, so abandonment matters.
    rates = [50.0, 80.0] * 6
    agents, aht, patience, target, replications = 5, 240.0, 120.0, 30.0, 30
    config = one_queue(
        rates,
        agents,
        aht=aht,
        patience=patience,
        target_seconds=target,
        replications=replications,
        warmup_intervals=1,
        seed=11,
    )
    ours = simulate(config).overall
    runs = [
        simpy_replication(rates, 3600.0, agents, aht, patience, target, 1, seed=1000 + r)
        for r in range(replications)
    ]
    for name in ("mean_wait", "mean_wait_answered", "service_level", "abandonment_rate"):
        theirs = Estimate(
            float(np.mean([run[name] for run in runs])),
            t_critical(replications - 1)
            * float(np.std([run[name] for run in runs], ddof=1))
            / math.sqrt(replications),
            replications,
        )
        assert agree(getattr(ours, name), theirs), (name, getattr(ours, name), theirs)


# --- Erlang C ---------------------------------------------------------------------------


def erlang_c(agents: int, load: float) -> float:
    blocking = 1.0  # Erlang B by its recursion
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return agents * blocking / (agents - load * (1 - blocking))


def test_matches_erlang_c_where_its_assumptions_hold() -> None:
    agents, aht, load, target = 10, 300.0, 8.0, 20.0
    rate = load / aht * 3600  # contacts per hour
    config = one_queue(
        [rate] * 73,
        agents,
        aht=aht,
        target_seconds=target,
        replications=40,
        warmup_intervals=1,
        seed=3,
    )
    result = simulate(config)
    immediate = simulate(replace(config, target_seconds=0.0))  # same contacts, SL(0) = 1 - C

    c = erlang_c(agents, load)
    asa = c * aht / (agents - load)
    service_level = 1 - c * math.exp(-(agents - load) * target / aht)
    assert 0.40 < c < 0.41  # the textbook value for 10 agents and 8 Erlangs
    assert contains(result.overall.mean_wait, asa), (result.overall.mean_wait, asa)
    assert contains(result.overall.service_level, service_level)
    assert contains(immediate.overall.service_level, 1 - c)
    assert contains(result.utilisation, load / agents)
    assert result.overall.abandoned.mean == 0
    assert result.overall.unresolved.mean == 0
    assert result.overall.answered.mean == result.overall.arrivals.mean
    # The interval is honest: narrow enough to mean something.
    assert result.overall.mean_wait.half_width < 0.1 * asa


def test_handling_time_distributions_keep_their_mean() -> None:
    # Utilisation without abandonment is offered load / agents whatever the shape. Three
    # checks, so each uses a 1.6x wider interval (≈99.7%) to keep the family near 99%.
    for cv in (0.0, 0.5, 2.0):
        result = simulate(
            one_queue([54.0] * 13, 6, aht=300.0, cv=cv, replications=20, warmup_intervals=1)
        )
        assert contains(result.utilisation, 4.5 / 6, widen=1.6), (cv, result.utilisation)
    # More variable handling, longer waits (Pollaczek-Khinchine in spirit).
    waits = [
        simulate(one_queue([54.0] * 13, 6, aht=300.0, cv=cv, replications=20)).overall.mean_wait
        for cv in (0.0, 2.0)
    ]
    assert waits[0].high < waits[1].low


# --- determinism ------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_result_and_another_seed_does_not() -> None:
    config = one_queue([40.0, 70.0, 55.0], 4, patience=90.0, replications=3, seed=42)
    first = simulate(config).to_dict()
    assert simulate(config).to_dict() == first
    assert simulate(replace(config, seed=43)).to_dict() != first
    json.dumps(first, allow_nan=False)  # JSON-ready: NaN became None


def test_progress_reports_each_replication() -> None:
    seen: list[int] = []
    simulate(one_queue([30.0], 2, replications=4), progress=seen.append)
    assert seen == [1, 2, 3, 4]


def test_staffing_does_not_change_the_contacts_drawn() -> None:
    # Common random numbers: arrivals are drawn before routing, whatever the staffing.
    few = simulate(one_queue([60.0] * 4, 3, patience=60.0, seed=5, replications=2))
    many = simulate(one_queue([60.0] * 4, 9, patience=60.0, seed=5, replications=2))
    assert few.intervals.arrivals == many.intervals.arrivals
    assert few.overall.abandoned.mean > many.overall.abandoned.mean


# --- routing, skills, shifts, abandonment -----------------------------------------------


def test_high_priority_waits_less_when_sharing_agents() -> None:
    config = SimulationConfig(
        interval_minutes=60,
        contact_types=(
            ContactType("vip", [40.0] * 8, 300.0, priority=1),
            ContactType("standard", [40.0] * 8, 300.0, priority=0),
        ),
        agent_groups=(AgentGroup("team", frozenset({"vip", "standard"}), [7] * 8),),
        replications=10,
        warmup_intervals=1,
    )
    result = simulate(config)
    vip, standard = result.by_type["vip"], result.by_type["standard"]
    assert vip.mean_wait.high < standard.mean_wait.low
    assert vip.service_level.low > standard.service_level.high
    vip_by_interval = result.intervals_by_type["vip"].mean_wait.mean
    standard_by_interval = result.intervals_by_type["standard"].mean_wait.mean
    assert all(v < s for v, s in zip(vip_by_interval, standard_by_interval, strict=True))


def test_a_type_only_one_group_can_serve_is_served_only_by_it() -> None:
    config = SimulationConfig(
        interval_minutes=30,
        contact_types=(
            ContactType("billing", [20.0] * 6, 300.0),
            ContactType("general", [20.0] * 6, 300.0),
        ),
        agent_groups=(
            AgentGroup("specialists", frozenset({"billing", "general"}), [3] * 6),
            AgentGroup("generalists", frozenset({"general"}), [3] * 6),
        ),
        replications=4,
    )
    groups = simulate(config).groups
    assert groups["generalists"].answered["billing"].mean == 0
    assert groups["specialists"].answered["billing"].mean > 0
    assert groups["generalists"].answered["general"].mean > 0


def test_an_arrival_goes_to_the_group_with_the_most_idle_agents() -> None:
    config = SimulationConfig(
        interval_minutes=60,
        contact_types=(ContactType("chat", [12.0] * 6, 300.0),),
        agent_groups=(
            AgentGroup("small", frozenset({"chat"}), [1] * 6),
            AgentGroup("large", frozenset({"chat"}), [6] * 6),
        ),
        replications=5,
    )
    groups = simulate(config).groups
    # At 1 Erlang the large group nearly always has more idle agents.
    assert groups["large"].answered["chat"].mean > 10 * groups["small"].answered["chat"].mean


def test_nobody_on_shift_answers_nothing_and_waits_grow() -> None:
    staffing = [5, 5, 0, 5, 5]
    result = simulate(
        one_queue([10.0] * 5, staffing, aht=240.0, interval_minutes=15, replications=10)
    )
    during = result.intervals.answered_during
    assert during.mean[2] == 0
    assert during.half_width[2] == 0
    # Those who arrive with nobody there wait for the next shift: half an interval on average.
    waits = result.intervals.mean_wait.mean
    assert waits[2] > 0.4 * 900
    assert waits[2] > 5 * max(waits[0], waits[1])
    assert waits[3] > waits[1]  # and the backlog delays the next interval's contacts
    # The returning shift picks the backlog up at once.
    assert during.mean[3] > result.intervals.arrivals.mean[3]
    # Agents still busy when their shift ends finish first: utilisation there is 1 or undefined.
    zero_shift = result.utilisation_by_interval.mean[2]
    assert math.isnan(zero_shift) or zero_shift == pytest.approx(1.0)


def test_without_agents_at_the_end_patient_contacts_stay_unresolved() -> None:
    result = simulate(one_queue([20.0, 20.0], [2, 0], replications=3))
    assert result.intervals.answered.mean[1] == 0
    assert result.intervals.answered_during.mean[1] == 0
    # Everyone from the last interval, and whoever was still waiting from the first.
    assert result.overall.unresolved.mean >= result.intervals.arrivals.mean[1]
    assert result.overall.service_level.mean < 0.6


def test_short_patience_means_many_abandon_and_bounded_waits() -> None:
    patience = 10.0
    result = simulate(
        one_queue([120.0] * 6, 8, aht=300.0, patience=patience, replications=10, seed=9)
    ).overall
    assert result.abandonment_rate.low > 0.2  # 10 Erlangs offered to 8 agents
    # A wait is min(patience, time to an agent), so it cannot exceed the patience on average.
    assert result.mean_wait.high <= patience * 1.05
    assert result.mean_wait_answered.high < patience
    assert result.wait_p99.mean < 6 * patience  # exponential patience: p99 ≈ 4.6 x mean
    patient = simulate(one_queue([120.0] * 6, 8, aht=300.0, replications=3, seed=9)).overall
    assert patient.mean_wait_answered.mean > 10 * result.mean_wait_answered.mean


def test_warmup_intervals_are_left_out() -> None:
    result = simulate(one_queue([10.0, 20.0, 30.0, 40.0], 5, warmup_intervals=2))
    assert result.first_interval == 2
    assert result.interval_start_seconds == (7200.0, 10800.0)
    assert len(result.intervals.arrivals.mean) == 2
    assert result.overall.arrivals.mean == pytest.approx(sum(result.intervals.arrivals.mean))


# --- statistics helpers -----------------------------------------------------------------


def test_t_critical_values() -> None:
    assert t_critical(1) == pytest.approx(12.7062, abs=1e-4)
    assert t_critical(9) == pytest.approx(2.2622, abs=1e-4)
    # Beyond the table, the expansion: published values.
    for df, value in ((31, 2.039513), (40, 2.021075), (60, 2.000298), (120, 1.979930)):
        assert t_critical(df) == pytest.approx(value, abs=1e-5)
    assert t_critical(10**6) == pytest.approx(1.959964, abs=1e-5)


def test_grouped_quantiles_match_numpy() -> None:
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 7, 2000)
    values = np.where(rng.random(2000) < 0.6, 0.0, rng.exponential(30.0, 2000))
    keys[keys == 3] = 4  # an empty group
    got = _grouped_quantiles(keys, values, 8)
    for k in range(8):
        if k in (3, 7):
            assert np.isnan(got[k]).all()
        else:
            expected = np.quantile(values[keys == k], [0.5, 0.9, 0.99])
            np.testing.assert_allclose(got[k], expected)


# --- bad input --------------------------------------------------------------------------

BAD_INPUTS: dict[str, Callable[[], object]] = {
    "negative arrivals": lambda: one_queue([10.0, -1.0], 2),
    "NaN arrivals": lambda: one_queue([math.nan], 2),
    "no arrivals": lambda: one_queue([], 2),
    "arrivals and agents differ in length": lambda: one_queue([10.0, 10.0], [2, 2, 2]),
    "negative agents": lambda: one_queue([10.0], [-1]),
    "fractional agents": lambda: one_queue([10.0], [2.5]),  # type: ignore[list-item]
    "aht zero": lambda: one_queue([10.0], 2, aht=0.0),
    "aht negative": lambda: one_queue([10.0], 2, aht=-5.0),
    "cv negative": lambda: one_queue([10.0], 2, cv=-0.1),
    "patience zero": lambda: one_queue([10.0], 2, patience=0.0),
    "replications zero": lambda: one_queue([10.0], 2, replications=0),
    "negative seed": lambda: one_queue([10.0], 2, seed=-1),
    "negative target": lambda: one_queue([10.0], 2, target_seconds=-1.0),
    "interval of 20 minutes": lambda: one_queue([10.0], 2, interval_minutes=20),
    "warm-up covers the horizon": lambda: one_queue([10.0, 10.0], 2, warmup_intervals=2),
    "empty name": lambda: ContactType("", [1.0], 300.0),
    "no contact types": lambda: SimulationConfig(
        60, (), (AgentGroup("team", frozenset({"chat"}), [1]),)
    ),
    "no agent groups": lambda: SimulationConfig(60, (ContactType("chat", [1.0], 300.0),), ()),
    "a type no group can serve": lambda: SimulationConfig(
        60,
        (ContactType("chat", [1.0], 300.0), ContactType("email", [1.0], 300.0)),
        (AgentGroup("team", frozenset({"chat"}), [1]),),
    ),
    "a skill that is no contact type": lambda: SimulationConfig(
        60,
        (ContactType("chat", [1.0], 300.0),),
        (AgentGroup("team", frozenset({"chat", "phone"}), [1]),),
    ),
    "no skills": lambda: AgentGroup("team", frozenset(), [1]),
    "duplicate type names": lambda: SimulationConfig(
        60,
        (ContactType("chat", [1.0], 300.0), ContactType("chat", [2.0], 300.0)),
        (AgentGroup("team", frozenset({"chat"}), [1]),),
    ),
    "too many contacts": lambda: one_queue([1e8], 2),
}


@pytest.mark.parametrize("build", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_a_capacity_input_error(build: Callable[[], object]) -> None:
    def build_and_run() -> None:
        built = build()
        if isinstance(built, SimulationConfig):
            simulate(built)

    with pytest.raises(CapacityInputError) as error:
        build_and_run()
    assert len(str(error.value)) > 20  # says what to fix, not just "invalid"
