"""Validation on a real call centre: fit on two weeks, predict the third.

Data: the anonymous bank call centre, 1-21 February 1999 (Brown et al. 2005, JASA), read by
``bank.py`` from ``../shared/data`` (never copied into the repo).

    fit      1-14 February: hourly arrivals; handle time; patience
    predict  15-21 February, per hour:
             arrivals           each forecast method (demand.METHODS)
             mean wait, abandonment   Erlang C, Erlang A and the simulation, given the hour's
                                      actual arrivals and the agents observed in it

Queue models get the actual arrivals so that their errors are theirs, not the forecast's; the
forecast's errors are reported separately. Handle time is the mean over the fit weeks;
patience is the exponential maximum-likelihood estimate with censoring, (total time queued) /
(calls abandoned). "Agents observed" counts the agents seen serving in the hour, which misses
idle agents, so every model sees slightly too few agents in quiet hours (predicts too long a
wait there); the report says how large the errors are, not why each one is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from relaydesk.capacity.bank import HourObservation, hourly_observations, load_calls
from relaydesk.capacity.demand import METHODS, IntervalSeries, fit_seasonal, forecast_errors
from relaydesk.capacity.erlang import erlang_a_metrics, erlang_c_metrics
from relaydesk.capacity.errors import CapacityInputError
from relaydesk.capacity.simulation import AgentGroup, ContactType, SimulationConfig, simulate

DATASET = "anonymous_bank_call_center_1999"
SPLIT_DAY = 15  # 15 February: the first day of the predicted week
QUEUE_MODELS = ("erlang_c", "erlang_a", "simulation")
TARGET_SECONDS = 60.0


@dataclass(frozen=True)
class ModelErrors:
    model: str
    hours: int  # hours it could predict (Erlang C cannot when the queue is unstable)
    unstable_hours: int
    wait_mae_seconds: float
    wait_bias_seconds: float  # predicted minus observed, weighted by arrivals
    abandon_mae_points: float  # percentage points
    abandon_bias_points: float


@dataclass(frozen=True)
class ValidationReport:
    calls: int
    malformed_rows: int
    fit_hours: int
    test_hours: int
    handle_seconds: float
    patience_seconds: float
    forecast: dict[str, dict[str, float]]  # method → errors on hourly arrivals
    best_forecast: str
    queue: list[ModelErrors]
    best_queue_model: str
    hourly: list[dict[str, Any]] = field(default_factory=list)  # the predicted week, per hour

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _local(moment: datetime) -> datetime:
    # The data's clock is Israel's local time; a fixed label keeps its daily pattern intact.
    return moment.replace(tzinfo=UTC)


def _series(hours: Sequence[HourObservation]) -> IntervalSeries:
    return IntervalSeries(
        start=_local(hours[0].hour),
        interval_minutes=60,
        counts=tuple(float(h.arrivals) for h in hours),
    )


def _weighted(pairs: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Weighted mean absolute error and bias of (predicted, observed, weight) triples."""
    total = sum(weight for _, _, weight in pairs)
    if not total:
        return math.nan, math.nan
    mae = sum(abs(p - o) * w for p, o, w in pairs) / total
    bias = sum((p - o) * w for p, o, w in pairs) / total
    return mae, bias


def _simulate_week(
    test: Sequence[HourObservation], handle: float, patience: float, seed: int
) -> tuple[list[float], list[float]]:
    config = SimulationConfig(
        interval_minutes=60,
        contact_types=(
            ContactType(
                name="calls",
                arrivals=[float(h.arrivals) for h in test],
                aht_seconds=handle,
                patience_seconds=patience,
            ),
        ),
        agent_groups=(
            AgentGroup(
                name="agents",
                skills=frozenset({"calls"}),
                agents=[h.agents_observed for h in test],
            ),
        ),
        target_seconds=TARGET_SECONDS,
        replications=20,
        seed=seed,
    )
    result = simulate(config)
    return list(result.intervals.mean_wait.mean), list(result.intervals.abandonment_rate.mean)


def validate(
    data_dir: Path, seed: int = 0, progress: Callable[[str], None] | None = None
) -> ValidationReport:
    folder = data_dir / DATASET
    if not folder.is_dir():
        raise CapacityInputError(
            f"{folder} does not exist: pass --data-dir, the folder that holds {DATASET}/"
        )
    say = progress or (lambda _: None)
    say("loading calls")
    calls = load_calls(folder)
    hours = hourly_observations(calls)
    fit = [h for h in hours if h.hour.day < SPLIT_DAY]
    test = [h for h in hours if h.hour.day >= SPLIT_DAY]
    if not fit or not test:
        raise CapacityInputError(f"{folder}: expected calls from 1 to 21 February 1999")

    say("forecasting arrivals")
    start = _local(test[0].hour.replace(hour=0))
    week = [start + timedelta(hours=i) for i in range(7 * 24)]
    observed = {_local(h.hour): h for h in test}
    actual = [float(observed[t].arrivals) if t in observed else 0.0 for t in week]
    forecasts: dict[str, dict[str, float]] = {}
    for method in METHODS:
        predicted = fit_seasonal(_series(fit), method=method).forecast(start, len(week)).counts
        forecasts[method] = forecast_errors(actual, list(predicted))
    best_forecast = min(forecasts, key=lambda m: forecasts[m]["wape"])

    answered = [h for h in fit if h.mean_handle_seconds is not None and h.answered]
    handle = sum(h.mean_handle_seconds * h.answered for h in answered if h.mean_handle_seconds)
    handle /= sum(h.answered for h in answered)
    queued_seconds = sum((h.mean_wait_seconds or 0.0) * h.arrivals for h in fit)
    abandoned = sum(h.abandoned for h in fit)
    if not abandoned:
        raise CapacityInputError("no abandoned calls in the fit weeks: patience cannot be fitted")
    patience = queued_seconds / abandoned

    say("queue models on the predicted week")
    staffed = [h for h in test if h.arrivals and h.agents_observed]
    sim_wait, sim_abandon = _simulate_week(staffed, handle, patience, seed)
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[tuple[float, float, float, float, float]]] = {
        m: [] for m in QUEUE_MODELS
    }
    unstable = dict.fromkeys(QUEUE_MODELS, 0)
    for index, hour in enumerate(staffed):
        rate, agents = hour.arrivals / 3600, hour.agents_observed
        observed_wait = hour.mean_wait_seconds or 0.0
        observed_abandon = hour.abandoned / hour.arrivals
        c = erlang_c_metrics(rate, handle, agents, TARGET_SECONDS)
        a = erlang_a_metrics(rate, handle, patience, agents, TARGET_SECONDS)
        predictions = {
            "erlang_c": (c.asa, 0.0),
            "erlang_a": (a.asa, a.p_abandon),
            "simulation": (sim_wait[index], sim_abandon[index]),
        }
        row: dict[str, Any] = {
            "hour": hour.hour.isoformat(),
            "arrivals": hour.arrivals,
            "agents_observed": agents,
            "observed_wait": round(observed_wait, 1),
            "observed_abandon": round(observed_abandon, 4),
        }
        for model, (wait, abandon) in predictions.items():
            row[f"{model}_wait"] = None if math.isinf(wait) else round(wait, 1)
            row[f"{model}_abandon"] = round(abandon, 4)
            if math.isinf(wait) or math.isnan(wait):
                unstable[model] += 1
                continue
            errors[model].append(
                (wait, observed_wait, abandon, observed_abandon, float(hour.arrivals))
            )
        rows.append(row)
    queue = []
    for model in QUEUE_MODELS:
        triples = errors[model]
        wait_mae, wait_bias = _weighted([(p, o, w) for p, o, _, _, w in triples])
        ab_mae, ab_bias = _weighted([(p * 100, o * 100, w) for _, _, p, o, w in triples])
        queue.append(
            ModelErrors(model, len(triples), unstable[model], wait_mae, wait_bias, ab_mae, ab_bias)
        )
    # The best model must predict every hour: one that goes unstable cannot plan staffing.
    usable = [m for m in queue if m.unstable_hours == 0] or queue
    best = min(usable, key=lambda m: m.wait_mae_seconds + m.abandon_mae_points)
    return ValidationReport(
        calls=len(calls),
        malformed_rows=calls.malformed,
        fit_hours=len(fit),
        test_hours=len(staffed),
        handle_seconds=round(handle, 1),
        patience_seconds=round(patience, 1),
        forecast=forecasts,
        best_forecast=best_forecast,
        queue=queue,
        best_queue_model=best.model,
        hourly=rows,
    )


def format_validation(report: ValidationReport) -> str:
    lines = [
        f"Bank call centre, 1-21 Feb 1999 (Brown et al. 2005): {report.calls:,} calls "
        f"({report.malformed_rows} malformed rows); fit on {report.fit_hours} hours "
        f"(1-14 Feb), predicted {report.test_hours} staffed hours (15-21 Feb).",
        f"Fitted: mean handle time {report.handle_seconds:.0f} s; "
        f"exponential patience {report.patience_seconds:.0f} s.",
        "",
        "Hourly arrivals, 15-21 Feb:",
        f"  {'method':<14} {'MAE':>7} {'RMSE':>7} {'MAPE':>7} {'WAPE':>7}",
    ]
    for method, errs in report.forecast.items():
        mark = "  <- best" if method == report.best_forecast else ""
        lines.append(
            f"  {method:<14} {errs['mae']:>7.1f} {errs['rmse']:>7.1f} "
            f"{errs['mape']:>7.1%} {errs['wape']:>7.1%}{mark}"
        )
    lines += [
        "",
        "Mean wait and abandonment per hour (given actual arrivals and agents observed):",
        f"  {'model':<11} {'hours':>5} {'unstable':>8} {'wait MAE':>9} {'bias':>8} "
        f"{'aband. MAE':>10} {'bias':>7}",
    ]
    for m in report.queue:
        mark = "  <- best" if m.model == report.best_queue_model else ""
        lines.append(
            f"  {m.model:<11} {m.hours:>5} {m.unstable_hours:>8} {m.wait_mae_seconds:>7.1f} s "
            f"{m.wait_bias_seconds:>+6.1f} s {m.abandon_mae_points:>8.1f} pt "
            f"{m.abandon_bias_points:>+5.1f} pt{mark}"
        )
    return "\n".join(lines)


def report_markdown(report: ValidationReport, date: str) -> str:
    """The section of docs/capacity.md that ``--write-docs`` rewrites."""
    lines = [
        f"Measured on {date} by `relaydesk capacity validate --data-dir ../shared/data`.",
        "",
        f"- {report.calls:,} calls; fit on {report.fit_hours} hours (1-14 February), predicted "
        f"{report.test_hours} staffed hours (15-21 February).",
        f"- Fitted on weeks 1-2: mean handle time {report.handle_seconds:.0f} s, exponential "
        f"patience {report.patience_seconds:.0f} s.",
        "",
        "Hourly arrivals (all 168 hours of the week):",
        "",
        "| method | MAE | RMSE | MAPE | WAPE |",
        "|---|--:|--:|--:|--:|",
    ]
    for method, errs in report.forecast.items():
        best = " (default)" if method == report.best_forecast else ""
        lines.append(
            f"| `{method}`{best} | {errs['mae']:.1f} | {errs['rmse']:.1f} | "
            f"{errs['mape']:.1%} | {errs['wape']:.1%} |"
        )
    lines += [
        "",
        "Mean wait and abandonment per staffed hour, given the actual arrivals and the agents "
        "observed (errors weighted by arrivals):",
        "",
        "| model | hours | unstable | wait MAE | wait bias | abandonment MAE | abandonment bias |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for m in report.queue:
        best = " (default)" if m.model == report.best_queue_model else ""
        lines.append(
            f"| `{m.model}`{best} | {m.hours} | {m.unstable_hours} | "
            f"{m.wait_mae_seconds:.1f} s | {m.wait_bias_seconds:+.1f} s | "
            f"{m.abandon_mae_points:.1f} pt | {m.abandon_bias_points:+.1f} pt |"
        )
    return "\n".join(lines)


def utc_today() -> str:
    return datetime.now().date().isoformat()
