"""Erlang C and Erlang A against published examples and independently written oracles."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from relaydesk.capacity.erlang import (
    QueueMetrics,
    agents_for_target,
    erlang_a_metrics,
    erlang_c,
    erlang_c_metrics,
)
from relaydesk.capacity.errors import CapacityInputError

# --- oracles, written differently from the module ------------------------------------------


def erlang_c_factorials(agents: int, traffic: float) -> float:
    """Erlang's C formula straight from the textbook, with factorials (fine for small N):
    C = (A^N / N! * N / (N - A)) / (sum_{k<N} A^k / k! + A^N / N! * N / (N - A))."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    return top / (sum(traffic**k / math.factorial(k) for k in range(agents)) + top)


def erlang_c_log_space(agents: int, traffic: float) -> float:
    """The same formula for large N, with each term's logarithm from lgamma."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents + 1)]
    logs[-1] += math.log(agents / (agents - traffic))
    peak = max(logs)
    terms = [math.exp(value - peak) for value in logs]
    return terms[-1] / sum(terms)


def brute_force_chain(
    rate: float, aht: float, patience: float, agents: int, size: int = 500
) -> np.ndarray:
    """Stationary distribution of the M/M/N+M chain from its generator matrix, truncated at
    ``size`` states, by a dense linear solve of pi Q = 0, sum(pi) = 1."""
    generator = np.zeros((size, size))
    for n in range(size):
        if n + 1 < size:
            generator[n, n + 1] = rate
        if n > 0:
            generator[n, n - 1] = min(n, agents) / aht + max(n - agents, 0) / patience
        generator[n, n] = -generator[n].sum()
    system = generator.T.copy()
    system[-1, :] = 1.0  # replace one (redundant) balance equation by the normalization
    right = np.zeros(size)
    right[-1] = 1.0
    return np.linalg.solve(system, right)


def lower_incomplete_gamma_scaled(a: float, x: float) -> float:
    """a e^x x^-a gamma(a, x) = a * integral_0^1 u^(a-1) e^(x (1 - u)) du (substituting
    s = x u in gamma(a, x) = integral_0^x s^(a-1) e^-s ds), by 400-point Gauss-Legendre.
    For a < 1 the integrand is singular at 0, so substitute v = u^a first:
    = integral_0^1 e^(x (1 - v^(1/a))) dv, which is smooth there."""
    assert a >= 2 or a < 1, "u^(a-1) is not smooth enough for Gauss-Legendre for 1 <= a < 2"
    nodes, weights = np.polynomial.legendre.leggauss(400)
    u = (nodes + 1.0) / 2.0
    if a < 1:
        return float(np.sum(weights / 2.0 * np.exp(x * (1.0 - u ** (1.0 / a)))))
    return float(a * np.sum(weights / 2.0 * u ** (a - 1.0) * np.exp(x * (1.0 - u))))


def mandelbaum_zeltyn(rate: float, aht: float, patience: float, agents: int) -> tuple[float, float]:
    """P(wait) and P(abandon) of Erlang A in closed form, after Mandelbaum & Zeltyn, "Service
    engineering in action: the Palm/Erlang-A queue, with applications to call centers" (2007):
    with J = a e^x x^-a gamma(a, x), a = N mu / theta, x = lambda / theta (the sum of the
    chain's queue weights), E = sum_{j<N} A^j / j! / (A^N / N!) and rho = lambda / (N mu):
    P(W > 0) = J / (E + J) and P(Ab | W > 0) = 1 / (rho J) + 1 - 1 / rho."""
    mu, theta = 1.0 / aht, 1.0 / patience
    traffic = rate / mu
    j = lower_incomplete_gamma_scaled(agents * mu / theta, rate / theta)
    e = sum(
        math.factorial(agents) / math.factorial(k) * traffic ** (k - agents) for k in range(agents)
    )
    rho = rate / (agents * mu)
    p_wait = j / (e + j)
    return p_wait, p_wait * (1.0 / (rho * j) + 1.0 - 1.0 / rho)


def monte_carlo_service_level(
    rate: float, aht: float, patience: float, agents: int, target: float, draws: int
) -> tuple[float, float]:
    """Share of arrivals answered within ``target``, by simulating each arrival's wait.

    The state an arrival sees is drawn from the brute-force stationary distribution; with k
    contacts queued ahead its offered wait is a sum of exponential phases with rates
    N mu + j theta (j = k..0: services plus abandonment of those ahead), and it is answered
    within the target if that wait is at most the target and at most its own Exp(theta)
    patience. Returns (estimate, standard error)."""
    rng = np.random.default_rng(20240611)
    probabilities = np.clip(brute_force_chain(rate, aht, patience, agents), 0.0, None)
    seen = rng.choice(probabilities.size, size=draws, p=probabilities / probabilities.sum())
    answered = seen < agents
    queued = np.flatnonzero(~answered)
    ahead = seen[queued] - agents
    wait = np.zeros(queued.size)
    for j in range(int(ahead.max()) + 1):
        phase = ahead >= j
        wait[phase] += rng.exponential(1.0 / (agents / aht + j / patience), int(phase.sum()))
    own_patience = rng.exponential(patience, queued.size)
    answered[queued] = (wait <= target) & (wait <= own_patience)
    estimate = float(answered.mean())
    return estimate, math.sqrt(estimate * (1.0 - estimate) / draws)


# --- Erlang C ------------------------------------------------------------------------------


@pytest.mark.parametrize("agents", [1, 2, 3, 5, 8, 13, 21, 30])
@pytest.mark.parametrize("utilisation", [0.1, 0.5, 0.8, 0.95, 0.999])
def test_erlang_c_matches_the_factorial_formula(agents: int, utilisation: float) -> None:
    traffic = agents * utilisation
    assert erlang_c(agents, traffic) == pytest.approx(
        erlang_c_factorials(agents, traffic), rel=1e-12
    )


def test_erlang_c_three_agents_two_erlangs_is_four_ninths() -> None:
    # By hand, with the recursion B(n) = A B(n-1) / (n + A B(n-1)), A = 2:
    # B(0) = 1, B(1) = 2/3, B(2) = (4/3) / (2 + 4/3) = 2/5, B(3) = (4/5) / (3 + 4/5) = 4/19;
    # rho = 2/3, C = B / (1 - rho (1 - B)) = (4/19) / (1 - (2/3)(15/19)) = (4/19) / (9/19) = 4/9.
    # Factorials agree: A^3/3! * 3/(3-2) = 4 over 1 + 2 + 2 + 4 = 9.
    blocking = Fraction(1)
    for n in range(1, 4):
        blocking = 2 * blocking / (n + 2 * blocking)
    assert blocking == Fraction(4, 19)
    assert blocking / (1 - Fraction(2, 3) * (1 - blocking)) == Fraction(4, 9)
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-14)
    assert erlang_c_factorials(3, 2.0) == pytest.approx(4 / 9, rel=1e-14)


def test_published_example_100_calls_in_30_minutes() -> None:
    # The worked Erlang C example on Call Centre Helper ("Erlang C formula - made simple") and
    # Wikipedia (Erlang (unit), Erlang C): 100 calls in 30 minutes with AHT 180 s is A = 10
    # Erlangs; for 80% answered in 20 s it needs 14 agents, where P(wait) = 0.1741 and the
    # service level is 1 - 0.1741 e^(-(14 - 10) 20 / 180) = 0.8884 (published as ~88.9%).
    rate, aht = 100 / 1800, 180.0
    metrics = erlang_c_metrics(rate, aht, 14, 20)
    assert metrics.traffic == pytest.approx(10.0, rel=1e-12)
    assert metrics.p_wait == pytest.approx(0.1741, abs=5e-5)  # published to 4 decimals
    assert metrics.service_level == pytest.approx(0.889, abs=1e-3)  # published rounded
    assert metrics.service_level == pytest.approx(0.8884, abs=5e-5)
    assert metrics.occupancy == pytest.approx(10 / 14, rel=1e-12)
    # And exactly what the textbook formulas give, from the factorial oracle:
    oracle = erlang_c_factorials(14, 10.0)
    assert metrics.p_wait == pytest.approx(oracle, rel=1e-12)
    assert metrics.service_level == pytest.approx(1 - oracle * math.exp(-4 * 20 / 180), rel=1e-12)
    assert metrics.asa == pytest.approx(oracle * 180 / 4, rel=1e-12)  # 7.84 s

    needed = agents_for_target(rate, aht, target_seconds=20, service_level=0.8)
    assert needed.agents == 14
    assert erlang_c_metrics(rate, aht, 13, 20).service_level < 0.8  # 0.7956: 13 is not enough


@pytest.mark.parametrize(("agents", "traffic"), [(120, 100.0), (1050, 1000.0), (2000, 1999.0)])
def test_erlang_c_is_stable_for_large_teams(agents: int, traffic: float) -> None:
    assert erlang_c(agents, traffic) == pytest.approx(erlang_c_log_space(agents, traffic), rel=1e-9)


def test_erlang_c_unstable_and_empty_queues() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(9, 10.0) == 1.0
    assert erlang_c(0, 0.0) == 0.0
    assert erlang_c(3, 0.0) == 0.0
    unstable = erlang_c_metrics(10 / 180, 180, 10, 20)
    assert (unstable.p_wait, unstable.asa, unstable.service_level) == (1.0, math.inf, 0.0)


def test_zero_arrivals_need_no_agents() -> None:
    idle = QueueMetrics(0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 20.0)
    assert erlang_c_metrics(0.0, 180, 0, 20) == idle
    assert erlang_a_metrics(0.0, 180, 60, 0, 20) == idle
    assert agents_for_target(0.0, 180, target_seconds=20, service_level=0.8) == idle
    assert agents_for_target(0.0, 180, target_seconds=20, service_level=0.8, patience=60) == idle


# --- Erlang A ------------------------------------------------------------------------------

ERLANG_A_CASES = [
    # rate per second, AHT, patience, agents, target seconds
    (100 / 1800, 180.0, 120.0, 12, 20.0),
    (100 / 1800, 180.0, 120.0, 8, 20.0),  # fewer agents than Erlangs: stable thanks to abandons
    (0.2, 300.0, 60.0, 55, 30.0),
    (0.05, 240.0, 400.0, 10, 60.0),
    (0.05, 240.0, 30.0, 3, 200.0),
]


@pytest.mark.parametrize(("rate", "aht", "patience", "agents", "target"), ERLANG_A_CASES)
def test_erlang_a_matches_a_brute_force_chain(
    rate: float, aht: float, patience: float, agents: int, target: float
) -> None:
    probabilities = brute_force_chain(rate, aht, patience, agents)
    states = np.arange(probabilities.size)
    mean_queue = float(np.dot(np.maximum(states - agents, 0), probabilities))
    metrics = erlang_a_metrics(rate, aht, patience, agents, target)
    assert metrics.p_wait == pytest.approx(probabilities[agents:].sum(), abs=1e-10)
    assert metrics.asa == pytest.approx(mean_queue / rate, rel=1e-8)
    assert metrics.p_abandon == pytest.approx(mean_queue / patience / rate, rel=1e-8)
    busy = float(np.dot(np.minimum(states, agents), probabilities))
    assert metrics.occupancy == pytest.approx(busy / agents, rel=1e-10)


@pytest.mark.parametrize(("rate", "aht", "patience", "agents", "target"), ERLANG_A_CASES)
def test_erlang_a_matches_mandelbaum_zeltyn_closed_forms(
    rate: float, aht: float, patience: float, agents: int, target: float
) -> None:
    p_wait, p_abandon = mandelbaum_zeltyn(rate, aht, patience, agents)
    metrics = erlang_a_metrics(rate, aht, patience, agents, target)
    assert metrics.p_wait == pytest.approx(p_wait, rel=1e-10)
    assert metrics.p_abandon == pytest.approx(p_abandon, rel=1e-9)


@pytest.mark.parametrize(("rate", "aht", "patience", "agents", "target"), ERLANG_A_CASES)
def test_erlang_a_service_level_matches_monte_carlo(
    rate: float, aht: float, patience: float, agents: int, target: float
) -> None:
    estimate, error = monte_carlo_service_level(rate, aht, patience, agents, target, 200_000)
    metrics = erlang_a_metrics(rate, aht, patience, agents, target)
    # 200k draws give a standard error near 0.001; 4.5 of them is a false alarm in 1 in 150k.
    assert abs(metrics.service_level - estimate) < 4.5 * error
    assert error < 0.0012


@pytest.mark.parametrize(("rate", "aht", "patience", "agents", "target"), ERLANG_A_CASES)
def test_erlang_a_service_level_limits(
    rate: float, aht: float, patience: float, agents: int, target: float
) -> None:
    # Within 0 seconds only those answered at once count; with an endless target everyone who
    # does not abandon counts (so the answered probabilities and the abandonment rate agree).
    now = erlang_a_metrics(rate, aht, patience, agents, 0.0)
    assert now.service_level == pytest.approx(1.0 - now.p_wait, abs=1e-12)
    ever = erlang_a_metrics(rate, aht, patience, agents, 1e6)
    assert ever.service_level == pytest.approx(1.0 - ever.p_abandon, abs=1e-10)
    within = erlang_a_metrics(rate, aht, patience, agents, target).service_level
    assert now.service_level < within < ever.service_level


def test_erlang_a_reduces_to_erlang_c_without_abandonment() -> None:
    rate, aht = 100 / 1800, 180.0
    for agents in (11, 14, 20):
        erlang_c_result = erlang_c_metrics(rate, aht, agents, 20)
        assert erlang_a_metrics(rate, aht, None, agents, 20) == erlang_c_result
        assert erlang_a_metrics(rate, aht, math.inf, agents, 20) == erlang_c_result
        # The gap is real, not rounding: it shrinks in proportion to 1 / patience (at 11 agents,
        # 91% occupancy, the ASA is 4.4e-6 short at 1e9 s and 4.4e-9 short at 1e12 s).
        for patience, tolerance in ((1e9, 1e-5), (1e12, 1e-8)):
            patient = erlang_a_metrics(rate, aht, patience, agents, 20)
            assert patient.p_wait == pytest.approx(erlang_c_result.p_wait, rel=tolerance)
            assert patient.asa == pytest.approx(erlang_c_result.asa, rel=tolerance)
            assert patient.service_level == pytest.approx(
                erlang_c_result.service_level, rel=tolerance
            )
            assert 0 < patient.p_abandon < 1e3 / patience


def test_abandonment_shortens_the_queue() -> None:
    rate, aht = 100 / 1800, 180.0
    erlang_c_result = erlang_c_metrics(rate, aht, 12, 20)
    impatient = erlang_a_metrics(rate, aht, 120, 12, 20)
    assert impatient.p_abandon > 0
    assert impatient.asa < erlang_c_result.asa
    assert impatient.p_wait < erlang_c_result.p_wait
    assert impatient.service_level <= 1 - impatient.p_abandon


def test_erlang_a_is_stable_with_fewer_agents_than_erlangs() -> None:
    rate, aht, agents = 100 / 1800, 180.0, 7  # 10 Erlangs on 7 agents
    assert erlang_c_metrics(rate, aht, agents, 20).asa == math.inf
    metrics = erlang_a_metrics(rate, aht, 120, agents, 20)
    assert math.isfinite(metrics.asa)
    assert metrics.asa < 120  # nobody waits longer than their patience on average
    assert metrics.occupancy < 1
    # The agents can answer at most N / A of the offered work; the rest must abandon.
    assert metrics.p_abandon >= 1 - agents / 10 - 1e-12
    # Even with very patient contacts the queue settles, around (lambda - N mu) / theta.
    patient = erlang_a_metrics(rate, aht, 1e7, agents, 20)
    assert patient.p_abandon == pytest.approx(1 - agents / 10, rel=1e-6)


# --- agents_for_target ---------------------------------------------------------------------


@pytest.mark.parametrize("patience", [None, 90.0])
def test_agents_for_target_is_the_fewest_that_meet_it(patience: float | None) -> None:
    rate, aht = 0.3, 300.0
    needed = agents_for_target(
        rate, aht, target_seconds=30, service_level=0.85, asa=15, patience=patience
    )
    assert needed.service_level >= 0.85
    assert needed.asa <= 15
    fewer = erlang_a_metrics(rate, aht, patience, needed.agents - 1, 30)
    assert fewer.service_level < 0.85 or fewer.asa > 15


@pytest.mark.parametrize("patience", [None, 90.0])
def test_agents_for_target_is_monotone(patience: float | None) -> None:
    def agents(rate: float = 0.2, level: float = 0.8, within: float = 20.0) -> int:
        return agents_for_target(
            rate, 300.0, target_seconds=within, service_level=level, patience=patience
        ).agents

    by_rate = [agents(rate=r) for r in (0.01, 0.05, 0.1, 0.2, 0.4, 0.8)]
    by_level = [agents(level=s) for s in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)]
    by_within = [agents(within=t) for t in (0.0, 10.0, 20.0, 60.0, 300.0)]
    assert by_rate == sorted(by_rate)
    assert by_rate[0] < by_rate[-1]
    assert by_level == sorted(by_level)
    assert by_level[0] < by_level[-1]
    assert by_within == sorted(by_within, reverse=True)
    assert by_within[0] > by_within[-1]


def test_occupancy_and_asa_targets() -> None:
    rate, aht = 100 / 1800, 180.0  # 10 Erlangs
    assert agents_for_target(rate, aht, max_occupancy=0.85).agents == 12  # 10/12 <= 0.85 < 10/11
    assert agents_for_target(rate, aht, max_occupancy=0.8).agents == 13
    by_asa = agents_for_target(rate, aht, asa=10.0)
    assert by_asa.asa <= 10.0 < erlang_c_metrics(rate, aht, by_asa.agents - 1, 0).asa
    both = agents_for_target(rate, aht, target_seconds=20, service_level=0.8, max_occupancy=0.65)
    assert both.agents == 16  # the occupancy cap binds: 10/16 = 0.625


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"arrival_rate": -0.1}, "arrival_rate"),
        ({"arrival_rate": math.nan}, "arrival_rate"),
        ({"arrival_rate": math.inf}, "arrival_rate"),
        ({"aht": 0.0}, "aht"),
        ({"aht": -5.0}, "aht"),
        ({"aht": math.nan}, "aht"),
        ({"target_seconds": -1.0}, "target_seconds"),
        ({"target_seconds": math.nan}, "target_seconds"),
        ({"service_level": 1.0}, "service_level must be in (0, 1)"),
        ({"service_level": 0.0}, "service_level must be in (0, 1)"),
        ({"service_level": 1.5}, "service_level must be in (0, 1)"),
        ({"service_level": math.nan}, "service_level"),
        ({"service_level": 0.8, "target_seconds": None}, "target_seconds is required"),
        ({"service_level": None}, "no target given"),
        ({"service_level": None, "asa": 0.0}, "asa must be > 0"),
        ({"asa": -3.0}, "asa must be > 0"),
        ({"asa": math.nan}, "asa"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
        ({"max_occupancy": 1.2}, "max_occupancy"),
        ({"patience": 0.0}, "patience"),
        ({"patience": -60.0}, "patience"),
        ({"patience": math.nan}, "patience"),
    ],
)
def test_bad_inputs_name_the_input(arguments: dict[str, object], message: str) -> None:
    call: dict[str, object] = {
        "arrival_rate": 0.1,
        "aht": 300.0,
        "target_seconds": 20.0,
        "service_level": 0.8,
    }
    call.update(arguments)
    with pytest.raises(CapacityInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        agents_for_target(**call)  # type: ignore[arg-type]


def test_an_unreachable_target_says_what_is_achievable() -> None:
    with pytest.raises(CapacityInputError, match=r"cannot be met: even \d+ agents .* ASA"):
        agents_for_target(0.1, 300.0, asa=1e-300)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(-1, 2.0), "agents"),
        (lambda: erlang_c(2.5, 2.0), "agents"),  # type: ignore[arg-type]
        (lambda: erlang_c(True, 2.0), "agents"),
        (lambda: erlang_c(3, -2.0), "traffic"),
        (lambda: erlang_c(3, math.nan), "traffic"),
        (lambda: erlang_c_metrics(0.1, 300.0, 40, -1.0), "target_seconds"),
        (lambda: erlang_a_metrics(0.1, 300.0, 0.0, 40, 20.0), "patience"),
        (lambda: erlang_a_metrics(0.1, 300.0, 60.0, -2, 20.0), "agents"),
    ],
)
def test_metric_functions_reject_bad_inputs(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(CapacityInputError, match=message):
        call()
