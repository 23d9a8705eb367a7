"""Benchmark of the queue simulation (``relaydesk.capacity.simulation``) against simpy.

    python bench/simulation.py [--quick] [--days N] [--simpy-days N] [--seed S]

1. year   one replication of a 100-agent centre open around the clock: 60-minute intervals,
          117.3 contacts/h (~1,030,000 a year), exponential handling of mean 2,700 s, so
          88 Erlangs offered to 100 agents (~88% occupancy), exponential patience of mean
          180 s. Requirement: < 10 s on this machine.
2. simpy  the same model written the textbook way in simpy (a Resource, a patience timeout
          racing the request), over a shorter horizon, and ``simulate`` over that same
          horizon; the speed-up is the ratio of contacts per second.

``--quick`` runs 30 days and 1 simpy day. Prints the numbers; writes nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from typing import Any

import numpy as np

from relaydesk.capacity.simulation import (
    AgentGroup,
    ContactType,
    SimulationConfig,
    SimulationResult,
    simulate,
)

AGENTS = 100
AHT_SECONDS = 2700.0
OFFERED_ERLANGS = 88.0
RATE_PER_HOUR = OFFERED_ERLANGS * 3600 / AHT_SECONDS  # 117.3 contacts per hour
PATIENCE_SECONDS = 180.0
TARGET_SECONDS = 60.0


def config(days: int, seed: int) -> SimulationConfig:
    hours = days * 24
    return SimulationConfig(
        interval_minutes=60,
        contact_types=(
            ContactType(
                "chat",
                [RATE_PER_HOUR] * hours,
                AHT_SECONDS,
                aht_cv=1.0,
                patience_seconds=PATIENCE_SECONDS,
            ),
        ),
        agent_groups=(AgentGroup("team", frozenset({"chat"}), [AGENTS] * hours),),
        target_seconds=TARGET_SECONDS,
        replications=1,
        seed=seed,
    )


def run_ours(days: int, seed: int) -> tuple[float, SimulationResult]:
    started = time.perf_counter()
    result = simulate(config(days, seed))
    return time.perf_counter() - started, result


def run_simpy(days: int, seed: int) -> tuple[float, int, dict[str, float]]:
    """The same single queue in simpy; returns wall time, contacts and the headline figures."""
    import simpy  # only for comparison: not a dependency of relaydesk

    started = time.perf_counter()
    env = simpy.Environment()
    team = simpy.Resource(env, capacity=AGENTS)
    rng = np.random.default_rng(seed)
    waits: list[float] = []
    answered: list[bool] = []
    horizon = days * 86400.0

    def contact() -> Any:
        arrived = env.now
        with team.request() as request:
            outcome = yield request | env.timeout(rng.exponential(PATIENCE_SECONDS))
            waits.append(env.now - arrived)
            answered.append(request in outcome)
            if request in outcome:
                yield env.timeout(rng.exponential(AHT_SECONDS))

    def source() -> Any:
        mean_gap = 3600.0 / RATE_PER_HOUR
        while True:
            gap = rng.exponential(mean_gap)
            if env.now + gap >= horizon:
                return
            yield env.timeout(gap)
            env.process(contact())

    env.process(source())
    env.run()
    elapsed = time.perf_counter() - started
    wait = np.array(waits)
    done = np.array(answered)
    return (
        elapsed,
        wait.size,
        {
            "service_level": float(np.mean(done & (wait <= TARGET_SECONDS))),
            "abandonment_rate": float(np.mean(~done)),
            "mean_wait": float(wait.mean()),
        },
    )


def headline(result: SimulationResult) -> str:
    o = result.overall
    return (
        f"SL({TARGET_SECONDS:.0f}s) {o.service_level.mean:.3f}, "
        f"abandoned {o.abandonment_rate.mean:.2%}, mean wait {o.mean_wait.mean:.1f} s, "
        f"p90/p99 wait {o.wait_p90.mean:.1f}/{o.wait_p99.mean:.1f} s, "
        f"utilisation {result.utilisation.mean:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 days, 1 simpy day")
    parser.add_argument("--days", type=int, help="horizon of the main run (default 365)")
    parser.add_argument("--simpy-days", type=int, help="horizon of the simpy run (default 7)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    days = args.days or (30 if args.quick else 365)
    simpy_days = args.simpy_days or (1 if args.quick else 7)

    print(
        f"model: {AGENTS} agents 24/7, {RATE_PER_HOUR:.1f} contacts/h, AHT {AHT_SECONDS:.0f} s "
        f"(exponential), {OFFERED_ERLANGS:.0f} Erlangs offered, patience exp(mean "
        f"{PATIENCE_SECONDS:.0f} s), 60-min intervals, 1 replication"
    )
    elapsed, result = run_ours(days, args.seed)
    contacts = result.contacts_simulated
    print(
        f"\nsimulate, {days} days ({days * 24:,} intervals): {contacts:,} contacts in "
        f"{elapsed:.2f} s = {contacts / elapsed:,.0f} contacts/s"
    )
    print(f"  {headline(result)}")
    if days == 365:
        print(f"  requirement < 10 s: {'met' if elapsed < 10 else 'NOT met'}")

    ours_week_s, ours_week = run_ours(simpy_days, args.seed)
    simpy_s, simpy_contacts, simpy_figures = run_simpy(simpy_days, args.seed)
    ours_rate = ours_week.contacts_simulated / ours_week_s
    simpy_rate = simpy_contacts / simpy_s
    print(f"\nsame model, {simpy_days} day(s):")
    print(
        f"  simulate  {ours_week.contacts_simulated:>9,} contacts in {ours_week_s:6.2f} s = "
        f"{ours_rate:>9,.0f} contacts/s   {headline(ours_week)}"
    )
    print(
        f"  simpy     {simpy_contacts:>9,} contacts in {simpy_s:6.2f} s = "
        f"{simpy_rate:>9,.0f} contacts/s   SL({TARGET_SECONDS:.0f}s) "
        f"{simpy_figures['service_level']:.3f}, abandoned {simpy_figures['abandonment_rate']:.2%}, "
        f"mean wait {simpy_figures['mean_wait']:.1f} s"
    )
    print(
        f"  speed-up: {ours_rate / simpy_rate:.1f}x on the same horizon, "
        f"{(contacts / elapsed) / simpy_rate:.1f}x for the {days}-day run"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory: {peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
