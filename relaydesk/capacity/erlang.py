"""Queueing formulas for staffing one contact queue: Erlang C and Erlang A.

Units: rates are per second and times are in seconds throughout. The offered load (traffic) is
``A = arrival_rate * aht`` Erlangs, the average number of agents the contacts would keep busy.

Both models assume Poisson arrivals at a constant rate within the interval, exponentially
distributed handle times, one first-come-first-served queue and ``N`` identical agents, and that
the interval is long enough for the queue to reach its steady state.

**Erlang C** (M/M/N) assumes nobody abandons: every contact waits as long as it takes. It is
the classic staffing formula, but it is pessimistic when the queue is long (real customers hang
up, which relieves the queue) and has no answer at all when ``N <= A``: the queue grows without
bound, so we report ``p_wait = 1``, an infinite ASA and a service level of 0.

**Erlang A** (M/M/N+M, Palm's model) adds exponentially distributed patience with mean
``patience``: a waiting contact abandons at rate ``theta = 1 / patience``. It is stable for any
``N`` and yields the share of contacts that abandon. We compute it exactly from its birth-death
chain (state = contacts in the system) rather than from approximations; see
:func:`erlang_a_metrics` for the method. ``patience`` of ``None`` or infinity gives Erlang C.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from relaydesk.capacity.errors import CapacityInputError, require_number

__all__ = [
    "QueueMetrics",
    "agents_for_target",
    "erlang_a_metrics",
    "erlang_c",
    "erlang_c_metrics",
]

FloatArray = npt.NDArray[np.float64]

# States and series terms whose weight is below e^-36 (about 2e-16) of the largest are dropped:
# the probability mass lost is far below the 1e-12 the results are meant to be good to.
_LOG_CUT = 36.0
# Above this many chain states the stationary distribution would not fit comfortably in memory;
# it only happens for absurd inputs (a patience of years), so we say so instead of thrashing.
_MAX_STATES = 5_000_000
# Comparisons against targets allow float noise, so that e.g. an occupancy of exactly 0.7 meets
# a 0.7 cap even when A was computed as 6.999999999999999 / 10.
_SLACK = 1e-12


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of ``agents`` agents facing ``traffic`` Erlangs.

    ``occupancy`` is the share of agent time spent handling contacts (0 with no agents).
    ``p_wait`` is the probability an arriving contact finds every agent busy and has to queue.
    ``asa`` is the mean time in queue over *all* arriving contacts, in seconds (those answered
    at once count as 0; under Erlang A the time abandoning contacts spent waiting counts too).
    ``service_level`` is the share of *all* arriving contacts answered within
    ``target_seconds``; under Erlang A contacts that abandon count as missed, whenever they hang
    up, so it is at most ``1 - p_abandon``. ``p_abandon`` is the share of arrivals that hang up
    before being answered (always 0 under Erlang C).
    """

    agents: int
    traffic: float
    occupancy: float
    p_wait: float
    asa: float
    service_level: float
    p_abandon: float
    target_seconds: float


# --- input checks -------------------------------------------------------------------------


def _non_negative(name: str, value: object, unit: str) -> float:
    result = require_number(name, value)
    if result < 0 or math.isinf(result):
        raise CapacityInputError(f"{name} must be a finite number >= 0 {unit}, got {value!r}")
    return result


def _positive(name: str, value: object, unit: str) -> float:
    result = require_number(name, value)
    if result <= 0 or math.isinf(result):
        raise CapacityInputError(f"{name} must be a finite number > 0 {unit}, got {value!r}")
    return result


def _agent_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise CapacityInputError(f"agents must be a whole number >= 0, got {value!r}")
    return int(value)


def _patience(value: object) -> float:
    """Mean patience in seconds; ``math.inf`` means nobody abandons (Erlang C)."""
    if value is None:
        return math.inf
    result = require_number("patience", value)
    if result <= 0:
        raise CapacityInputError(
            f"patience must be > 0 seconds (the mean time a contact waits before hanging up), "
            f"or None for no abandonment, got {value!r}"
        )
    return result


def _idle(agents: int, target_seconds: float) -> QueueMetrics:
    # No arrivals: nobody waits, nobody is missed; an empty interval is a valid input.
    return QueueMetrics(agents, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, target_seconds)


# --- Erlang C -----------------------------------------------------------------------------


def _erlang_b(agents: int, traffic: float) -> float:
    # B(n) = A B(n-1) / (n + A B(n-1)) stays in [0, 1], unlike A^N / N! which overflows.
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
        if blocking < 1e-300:
            # It only falls from here (by about traffic / n a step): stop before it
            # underflows, rather than walk thousands of servers to reach zero.
            return 0.0
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that an arriving contact has to wait, for ``agents`` agents and ``traffic``
    Erlangs of offered load (Erlang's C formula).

    Computed from the Erlang B recursion and ``C = B / (1 - rho (1 - B))`` with
    ``rho = traffic / agents``, which is numerically stable for any size. Returns 1.0 when
    ``agents <= traffic`` (the queue is unstable and every contact waits) and 0.0 when
    ``traffic`` is 0 (nobody arrives, so nobody waits).
    """
    n = _agent_count(agents)
    load = _non_negative("traffic", traffic, "Erlangs")
    if load == 0.0:
        return 0.0
    if n <= load:
        return 1.0
    blocking = _erlang_b(n, load)
    return blocking / (1.0 - (load / n) * (1.0 - blocking))


def erlang_c_metrics(
    arrival_rate: float, aht: float, agents: int, target_seconds: float
) -> QueueMetrics:
    """Erlang C (no abandonment) performance of ``agents`` agents.

    ``arrival_rate`` is contacts per second, ``aht`` the average handle time in seconds.
    With ``A = arrival_rate * aht`` and ``C = erlang_c(agents, A)``: the service level is
    ``1 - C exp(-(N - A) t / aht)`` and the ASA ``C aht / (N - A)``. When ``agents <= A`` the
    queue is unstable: ``p_wait`` is 1, ``asa`` infinite and the service level 0.
    """
    rate = _non_negative("arrival_rate", arrival_rate, "contacts per second")
    handle = _positive("aht", aht, "seconds")
    n = _agent_count(agents)
    target = _non_negative("target_seconds", target_seconds, "seconds")
    if rate == 0.0:
        return _idle(n, target)
    traffic = rate * handle
    if n <= traffic:
        occupancy = 1.0 if n > 0 else 0.0
        return QueueMetrics(n, traffic, occupancy, 1.0, math.inf, 0.0, 0.0, target)
    p_wait = erlang_c(n, traffic)
    spare = n - traffic
    service_level = 1.0 - p_wait * math.exp(-spare * target / handle)
    return QueueMetrics(
        agents=n,
        traffic=traffic,
        occupancy=traffic / n,
        p_wait=p_wait,
        asa=p_wait * handle / spare,
        service_level=service_level,
        p_abandon=0.0,
        target_seconds=target,
    )


# --- Erlang A -----------------------------------------------------------------------------


def _death_rates(states: FloatArray, agents: int, mu: float, theta: float) -> FloatArray:
    # With n contacts in the system, min(n, N) are being served and the rest each abandon.
    result: FloatArray = np.minimum(states, agents) * mu + np.maximum(states - agents, 0) * theta
    return result


def _stationary(rate: float, mu: float, theta: float, agents: int) -> tuple[FloatArray, FloatArray]:
    """Stationary distribution of the M/M/N+M birth-death chain, as (states, probabilities).

    ``pi_n / pi_(n-1) = rate / d(n)`` with ``d`` the death rate. Those ratios decrease in ``n``,
    so the distribution is unimodal; we start at the mode and walk outwards in chunks until the
    remaining tail on each side is provably below e^-36 of the mode (bounded by a geometric
    series, since every further ratio is smaller). Working around the mode rather than from 0
    keeps the arrays small even when the queue is long (e.g. patience of hours with too few
    agents), and log weights avoid overflowing A^n / n!.
    """
    log_rate = math.log(rate)
    if rate >= agents * mu:
        mode = agents + math.floor((rate - agents * mu) / theta)
    else:
        mode = math.floor(rate / mu)

    upper: list[FloatArray] = []
    upper_logs: list[FloatArray] = []
    last_state, last_log, chunk, count = float(mode), 0.0, 256, 0
    while True:
        states = last_state + 1.0 + np.arange(chunk, dtype=np.float64)
        logs = last_log + np.cumsum(log_rate - np.log(_death_rates(states, agents, mu, theta)))
        ratio = rate / _death_rates(states + 1.0, agents, mu, theta)
        below_one = ratio < 1.0
        safe = np.where(below_one, ratio, 0.5)
        tail = np.where(below_one, logs + np.log(safe) - np.log1p(-safe), np.inf)
        done = np.flatnonzero(tail < -_LOG_CUT)
        if done.size:
            upper.append(states[: done[0] + 1])
            upper_logs.append(logs[: done[0] + 1])
            break
        upper.append(states)
        upper_logs.append(logs)
        last_state, last_log = float(states[-1]), float(logs[-1])
        count += chunk
        chunk *= 2
        _check_size(count)

    lower: list[FloatArray] = []
    lower_logs: list[FloatArray] = []
    top, top_log, chunk = float(mode), 0.0, 256
    while top > 0:
        size = int(min(chunk, top))
        # states s = top-1, top-2, ...: log pi_s - log pi_(s+1) = log d(s+1) - log rate.
        states = top - 1.0 - np.arange(size, dtype=np.float64)
        logs = top_log + np.cumsum(np.log(_death_rates(states + 1.0, agents, mu, theta)) - log_rate)
        # Below state s the ratios pi_(s-1) / pi_s = d(s) / rate keep shrinking.
        ratio = _death_rates(states, agents, mu, theta) / rate
        safe = np.where((ratio > 0) & (ratio < 1.0), ratio, 0.5)
        tail = np.where(
            states == 0,
            -np.inf,
            np.where(ratio < 1.0, logs + np.log(safe) - np.log1p(-safe), np.inf),
        )
        done = np.flatnonzero(tail < -_LOG_CUT)
        if done.size:
            lower.append(states[: done[0] + 1])
            lower_logs.append(logs[: done[0] + 1])
            break
        lower.append(states)
        lower_logs.append(logs)
        top, top_log = float(states[-1]), float(logs[-1])
        count += size
        chunk *= 2
        _check_size(count)

    states = np.concatenate([*(part[::-1] for part in reversed(lower)), [float(mode)], *upper])
    logs = np.concatenate([*(part[::-1] for part in reversed(lower_logs)), [0.0], *upper_logs])
    weights = np.exp(logs - logs.max())
    probabilities: FloatArray = weights / weights.sum()
    return states, probabilities


def _check_size(count: int) -> None:
    if count > _MAX_STATES:
        raise CapacityInputError(
            f"the Erlang A queue is too long to compute exactly (over {_MAX_STATES} states): "
            f"patience is extremely long for this load; pass patience=None to use Erlang C"
        )


def _answered_within(
    ahead: FloatArray, service_rate: float, theta: float, target: float
) -> FloatArray:
    """P(answered within ``target``) for an arrival finding ``ahead[i]`` contacts queued.

    With k contacts ahead, the arrival moves up one place at rate ``S + j theta`` (``S = N mu``
    services, j contacts still ahead each abandoning) until a service takes it, so its
    *offered* wait V is hypoexponential with rates ``S + j theta``, j = k..0. Its own patience
    tau ~ Exp(theta) is independent of V, so
    ``P(answered by t) = E[1{V <= t} exp(-theta V)]``. Shifting every rate by theta turns this
    into ``S / (S + (k + 1) theta) * P(V' <= t)``, V' with rates ``theta (b + j)``, ``b = S /
    theta + 1``. Such a sum is distributed as ``-log(U) / theta`` with U ~ Beta(b, k + 1)
    (compare Laplace transforms), hence ``P(V' <= t) = I_q(k + 1, b)`` with
    ``q = 1 - exp(-theta t)``: the regularized incomplete beta, which is the upper tail
    ``P(X >= k + 1)`` of a negative binomial X with ``P(X = i) ∝ Γ(i + b) / i! q^i``. We sum
    that pmf term by term in log space, which is exact up to float rounding.
    """
    result: FloatArray = np.zeros_like(ahead)
    if target == 0.0 or service_rate == 0.0 or ahead.size == 0:
        return result
    k_max = int(ahead.max())
    b = service_rate / theta + 1.0
    theta_t = theta * target
    q = -math.expm1(-theta_t)
    last = k_max
    if theta_t < 700.0:
        # Beyond mean + 40 sd the negative binomial tail is negligible, so I_q(k + 1, b) = 0.
        mean = b * math.expm1(theta_t)
        sd = math.sqrt(mean * math.exp(theta_t))
        last = min(k_max, math.ceil(mean + 40.0 * sd + 50.0))
    i = np.arange(1, last + 1, dtype=np.float64)
    log_pmf = np.concatenate(
        [[-b * theta_t], -b * theta_t + np.cumsum(math.log(q) + np.log(i + b - 1.0) - np.log(i))]
    )
    tail = np.clip(1.0 - np.cumsum(np.exp(log_pmf)), 0.0, 1.0)
    within = np.where(ahead <= last, tail[np.minimum(ahead, last).astype(np.int64)], 0.0)
    share_answered = service_rate / (service_rate + (ahead + 1.0) * theta)
    return np.asarray(share_answered * within, dtype=np.float64)


def erlang_a_metrics(
    arrival_rate: float,
    aht: float,
    patience: float | None,
    agents: int,
    target_seconds: float,
) -> QueueMetrics:
    """Erlang A (M/M/N+M) performance of ``agents`` agents when waiting contacts abandon after
    an exponential patience of mean ``patience`` seconds (``None`` or infinity: Erlang C).

    Method: the number of contacts in the system is a birth-death chain with birth rate
    ``lambda`` and death rate ``min(n, N) mu + max(n - N, 0) theta`` (``mu = 1 / aht``,
    ``theta = 1 / patience``). We compute its stationary distribution exactly, truncated where
    the remaining mass is below about 1e-15. Arrivals see that distribution (PASTA), so:

    - ``p_wait = P(n >= N)``;
    - ``p_abandon = theta E[queue] / lambda`` (abandonment flow over arrival flow);
    - ``asa = E[queue] / lambda`` (Little's law over all arrivals, abandoners included);
    - ``service_level`` = share of *all* arrivals answered within ``target_seconds`` =
      ``P(n < N) + sum_k P(n = N + k) P(answered within t | k queued ahead)``, where the second
      factor is computed exactly (closed form via the incomplete beta function; see
      ``_answered_within``). Abandoned contacts count as missed.

    Unlike Erlang C this is stable for any number of agents: abandonment bounds the queue.
    """
    rate = _non_negative("arrival_rate", arrival_rate, "contacts per second")
    handle = _positive("aht", aht, "seconds")
    mean_patience = _patience(patience)
    n = _agent_count(agents)
    target = _non_negative("target_seconds", target_seconds, "seconds")
    if math.isinf(mean_patience):
        return erlang_c_metrics(rate, handle, n, target)
    if rate == 0.0:
        return _idle(n, target)
    mu, theta = 1.0 / handle, 1.0 / mean_patience

    states, probabilities = _stationary(rate, mu, theta, n)
    waiting = states >= n
    queued = np.maximum(states - n, 0.0)
    mean_queue = float(np.dot(queued, probabilities))
    busy = float(np.dot(np.minimum(states, n), probabilities))
    answered = _answered_within(queued[waiting], n * mu, theta, target)
    service_level = float(probabilities[~waiting].sum() + np.dot(probabilities[waiting], answered))
    return QueueMetrics(
        agents=n,
        traffic=rate * handle,
        occupancy=busy / n if n > 0 else 0.0,
        p_wait=float(probabilities[waiting].sum()),
        asa=mean_queue / rate,
        service_level=min(service_level, 1.0),
        p_abandon=theta * mean_queue / rate,
        target_seconds=target,
    )


# --- staffing search ----------------------------------------------------------------------


def agents_for_target(
    arrival_rate: float,
    aht: float,
    *,
    target_seconds: float | None = None,
    service_level: float | None = None,
    asa: float | None = None,
    patience: float | None = None,
    max_occupancy: float | None = None,
) -> QueueMetrics:
    """The fewest agents that meet every target given, with their metrics.

    Targets: ``service_level`` (share of contacts answered within ``target_seconds``), ``asa``
    (mean wait in seconds, at most) and ``max_occupancy`` (at most). Erlang C when ``patience``
    is None, else Erlang A with that mean patience. ``target_seconds`` without a service level
    target only sets the threshold the returned ``service_level`` is measured at (0 when
    omitted). Under Erlang A abandonment shortens waits, so pair an ASA target with a service
    level: an ASA target alone can be met by letting contacts hang up.

    The metrics improve monotonically with the number of agents, so we binary-search between
    the stability bound and ``A + 50 sqrt(A) + 100`` agents; a target not met even there is
    reported as impossible together with what that many agents achieve. With no arrivals the
    answer is 0 agents.
    """
    rate = _non_negative("arrival_rate", arrival_rate, "contacts per second")
    handle = _positive("aht", aht, "seconds")
    mean_patience = _patience(patience)
    if service_level is None and asa is None and max_occupancy is None:
        raise CapacityInputError(
            "no target given: pass service_level (with target_seconds), asa and/or max_occupancy"
        )
    if service_level is not None:
        level = require_number("service_level", service_level)
        if level >= 1.0:
            raise CapacityInputError(
                f"service_level must be in (0, 1), got {service_level!r}: answering every "
                f"contact within the target cannot be guaranteed by any number of agents"
            )
        if level <= 0.0:
            raise CapacityInputError(f"service_level must be in (0, 1), got {service_level!r}")
        if target_seconds is None:
            raise CapacityInputError(
                "target_seconds is required with service_level (e.g. 80% within 20 seconds)"
            )
    target = (
        0.0
        if target_seconds is None
        else _non_negative("target_seconds", target_seconds, "seconds")
    )
    if asa is not None and not require_number("asa", asa) > 0.0:
        raise CapacityInputError(
            f"asa must be > 0 seconds, got {asa!r}: some contacts always wait, so a mean wait "
            f"of 0 cannot be met"
        )
    if max_occupancy is not None:
        cap = require_number("max_occupancy", max_occupancy)
        if not 0.0 < cap <= 1.0:
            raise CapacityInputError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")

    def evaluate(agents: int) -> QueueMetrics:
        if math.isinf(mean_patience):
            return erlang_c_metrics(rate, handle, agents, target)
        return erlang_a_metrics(rate, handle, mean_patience, agents, target)

    def meets(metrics: QueueMetrics) -> bool:
        return (
            (service_level is None or metrics.service_level >= service_level - _SLACK)
            and (asa is None or metrics.asa <= asa * (1.0 + _SLACK))
            and (max_occupancy is None or metrics.occupancy <= max_occupancy * (1.0 + _SLACK))
        )

    if rate == 0.0:
        return evaluate(0)
    traffic = rate * handle
    bound = math.ceil(traffic + 50.0 * math.sqrt(traffic) + 100.0)
    best = evaluate(bound)
    if not meets(best):
        raise CapacityInputError(
            f"the target cannot be met: even {bound} agents for {traffic:.4g} Erlangs reach only "
            f"service level {best.service_level:.6g} within {target:g}s, ASA {best.asa:.4g}s, "
            f"occupancy {best.occupancy:.4g}"
        )
    # `bound` meets the target; `failing` is never returned: with arrivals at least one agent
    # is needed (0 would answer nobody), and Erlang C is unstable with floor(A) agents or fewer.
    failing = math.floor(traffic) if math.isinf(mean_patience) else 0
    while bound - failing > 1:
        middle = (failing + bound) // 2
        metrics = evaluate(middle)
        if meets(metrics):
            bound, best = middle, metrics
        else:
            failing = middle
    return best
