"""``relaydesk capacity plan|simulate|roles|validate``.

plan      history (the store, or a CSV) → seasonal forecast → the human share → agents per
          interval for the service-level target (Erlang A by default: it predicted the bank
          call centre's third week best, see docs/capacity.md)
simulate  the plan's staffing run through the queue simulation, to check the formulas
roles     the role mix of a blended team, every assumption visible; what-if scenarios
validate  fit on two weeks of a real call centre, predict the third, report the errors
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from relaydesk.capacity import charts
from relaydesk.capacity.demand import (
    METHODS,
    IntervalSeries,
    apply_uplift,
    count_by_interval,
    fit_seasonal,
    fit_uplift,
    read_arrivals_csv,
)
from relaydesk.capacity.erlang import erlang_a_metrics, erlang_c_metrics
from relaydesk.capacity.errors import CapacityInputError
from relaydesk.capacity.history import read_history
from relaydesk.capacity.roles import TeamAssumptions, format_scenarios, plan_roles, what_if
from relaydesk.capacity.simulation import AgentGroup, ContactType, SimulationConfig, simulate
from relaydesk.capacity.staffing import IntervalStaffing, Target, required_staff, summarize
from relaydesk.capacity.validation import format_validation, report_markdown, validate
from relaydesk.cli_options import DbOption, open_database

capacity_app = typer.Typer(help="Capacity and team planning for a blended AI + human team.")
console = Console()
err = Console(stderr=True)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "capacity.md"
WHAT_IF = {
    "AI resolution +10 pts": {"ai_resolution_rate": 0.10},
    "demand +20%": {"demand_multiplier": 1.2},
    "handle time +15%": {"residual_aht_multiplier": 1.15},
}
_DAYS = re.compile(r"^(\d+)d$")


@dataclass(frozen=True)
class PlanInputs:
    interval: int
    horizon_days: int
    method: str
    aht: float
    ai_resolution: float
    uplift: float
    target: Target
    shrinkage: float
    concurrency: float
    patience: float | None
    ai_launch: datetime | None = None


@dataclass(frozen=True)
class Plan:
    history: IntervalSeries
    forecast: IntervalSeries  # every contact
    human: IntervalSeries  # what reaches people
    staffing: list[IntervalStaffing]
    ai_resolution: float
    uplift: float

    def summary(self) -> dict[str, float]:
        return {
            "forecast_contacts": round(self.forecast.total, 1),
            "demand_uplift": round(self.uplift, 4),
            "ai_resolution_rate": round(self.ai_resolution, 4),
            "human_contacts": round(self.human.total, 1),
            **{k: round(v, 3) for k, v in summarize(self.staffing).items()},
        }


def _fail(error: CapacityInputError) -> typer.Exit:
    err.print(f"[red]error:[/red] {error}")
    return typer.Exit(2)


def _days(value: str) -> int:
    match = _DAYS.match(value.strip())
    if not match or int(match.group(1)) < 7:
        raise typer.BadParameter(f"{value!r}: give whole days, at least 7, like 28d")
    return int(match.group(1))


@dataclass(frozen=True)
class Demand:
    """Arrivals per interval over whole days, and what the store says about the AI."""

    series: IntervalSeries
    by_category: dict[str, IntervalSeries]
    ai_rate: float | None  # overall, from the store
    ai_rate_by_category: dict[str, float]


def _history(csv: Path | None, db: str | None, since: str, interval: int) -> Demand:
    if (csv is None) == (db is None):
        raise CapacityInputError("give the history as --csv FILE or --db URL (one of them)")
    rates: dict[str, float] = {}
    rate: float | None = None
    if csv is not None:
        arrivals = read_arrivals_csv(csv)
        if not arrivals:
            raise CapacityInputError(f"{csv} has no arrivals")
        times = [arrival.at for arrival in arrivals]
        labels = [arrival.category or "all" for arrival in arrivals]
        first, last = min(times), max(times)
    else:
        until = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        first = until - timedelta(days=_days(since))
        _, database = open_database(db)
        with database.read() as session:
            history = read_history(session, first, until)
        database.dispose()
        if not history.conversations:
            raise CapacityInputError(f"no conversations in the store in the last {since}")
        times, labels = list(history.arrivals), list(history.arrival_categories)
        last = until - timedelta(microseconds=1)
        rate = history.ai_resolution_rate
        rates = {mix.category: mix.ai_resolution_rate for mix in history.categories}
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    end = last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    grouped: dict[str, list[datetime]] = {}
    for at, label in zip(times, labels, strict=True):
        grouped.setdefault(label, []).append(at)
    return Demand(
        series=count_by_interval(times, interval, start, end),
        by_category={
            name: count_by_interval(group, interval, start, end)
            for name, group in sorted(grouped.items())
        },
        ai_rate=rate,
        ai_rate_by_category=rates,
    )


def _forecast(history: IntervalSeries, inputs: PlanInputs) -> tuple[IntervalSeries, float]:
    """The forecast of every contact, and the uplift used. With an AI launch date inside the
    history, the uplift is fitted (after / before, matching weekdays) and applied to a forecast
    fitted on the weeks before the launch."""
    uplift, fitted_on = inputs.uplift, history
    if inputs.ai_launch is not None:
        launch = inputs.ai_launch
        if not history.start < launch < history.end:
            raise CapacityInputError(
                f"--ai-launch {launch.date()} is not inside the history "
                f"({history.start.date()} to {history.end.date()})"
            )
        before, after = history.between(history.start, launch), history.between(launch, history.end)
        uplift = fit_uplift(before, after)
        fitted_on = before
    model = fit_seasonal(fitted_on, method=inputs.method)
    periods = inputs.horizon_days * 24 * 60 // inputs.interval
    return apply_uplift(model.forecast(history.end, periods), uplift), uplift


def _scaled(series: IntervalSeries, factor: float) -> IntervalSeries:
    return IntervalSeries(
        series.start, series.interval_minutes, tuple(c * factor for c in series.counts)
    )


def make_plan(demand: Demand, inputs: PlanInputs) -> Plan:
    forecast, uplift = _forecast(demand.series, inputs)
    rate = inputs.ai_resolution if inputs.ai_resolution >= 0 else (demand.ai_rate or 0.0)
    human = _scaled(forecast, 1 - rate)
    return Plan(demand.series, forecast, human, _staff(human, inputs), rate, uplift)


def _staff(
    human: IntervalSeries, inputs: PlanInputs, aht_factor: float = 1.0
) -> list[IntervalStaffing]:
    return required_staff(
        human.counts,
        inputs.interval,
        inputs.aht * aht_factor,
        inputs.target,
        shrinkage=inputs.shrinkage,
        concurrency=inputs.concurrency,
        patience_seconds=inputs.patience,
    )


@dataclass(frozen=True)
class Team:
    """A queue of its own: the categories it takes, its handle time and its customers' patience."""

    name: str
    categories: frozenset[str]  # "*": every category no other team takes
    aht: float | None = None  # seconds; None: --aht
    patience: float | None = None  # seconds; None: --patience


def read_teams(path: Path) -> list[Team]:
    """Teams from YAML: ``teams: [{name, categories: [...], aht_seconds?, patience_seconds?}]``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CapacityInputError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise CapacityInputError(f"{path} is not valid YAML: {error}") from None
    entries = raw.get("teams") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CapacityInputError(f"{path}: expected 'teams:' with a list of teams")
    teams, claimed = [], set[str]()
    for index, entry in enumerate(entries):
        where = f"{path}: teams[{index}]"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("categories"):
            raise CapacityInputError(f"{where}: each team needs a name and a list of categories")
        categories = frozenset(str(c) for c in entry["categories"])
        twice = categories & claimed - {"*"}
        if twice:
            raise CapacityInputError(f"{where}: {sorted(twice)} already belong to another team")
        claimed |= categories
        numbers = {}
        for key in ("aht_seconds", "patience_seconds"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, int | float) or value <= 0):
                raise CapacityInputError(f"{where}: {key} must be a number of seconds above 0")
            numbers[key] = float(value) if value is not None else None
        teams.append(Team(str(entry["name"]), categories, numbers["aht_seconds"],
                          numbers["patience_seconds"]))  # fmt: skip
    return teams


def plan_queues(
    demand: Demand, plan: Plan, inputs: PlanInputs, teams: list[Team] | None = None
) -> dict[str, dict[str, float]]:
    """Each team (by default: each category) as its own queue: its share of the forecast, the
    AI resolution rate of its categories (the store's, when known), its own handle time and
    patience, staffed separately. Summed, separate queues need more agents than the one pooled
    queue of ``plan``: the price of splitting a team."""
    total = demand.series.total or 1.0
    names = set(demand.by_category)
    if teams is None:
        teams = [Team(name, frozenset({name})) for name in sorted(names)]
    named = set().union(*(team.categories for team in teams)) - {"*"}
    rest = names - named
    if rest and not any("*" in team.categories for team in teams):
        raise CapacityInputError(
            f"categories {sorted(rest)} are in no team: add them, or a team with categories ['*']"
        )
    rows: dict[str, dict[str, float]] = {}
    for team in teams:
        members = (team.categories - {"*"}) | (rest if "*" in team.categories else set())
        contacts = {name: demand.by_category[name].total for name in members if name in names}
        share = sum(contacts.values()) / total
        human_share = 0.0
        for name, count in contacts.items():
            rate = demand.ai_rate_by_category.get(name, plan.ai_resolution)
            if inputs.ai_resolution >= 0:
                rate = inputs.ai_resolution
            human_share += count / total * (1 - rate)
        human = _scaled(plan.forecast, human_share)
        team_inputs = replace(
            inputs,
            aht=team.aht or inputs.aht,
            patience=team.patience if team.patience is not None else inputs.patience,
        )
        summary = summarize(_staff(human, team_inputs))
        rows[team.name] = {
            "share_of_contacts": round(share, 4),
            "ai_resolution_rate": round(1 - human_share / share, 4) if share else 0.0,
            "human_contacts": round(human.total, 1),
            "aht_seconds": team_inputs.aht,
            "peak_agents": summary["peak_agents"],
            "agent_hours_scheduled": round(summary["agent_hours_scheduled"], 1),
            "service_level": round(summary["service_level"], 4),
        }
    return rows


def what_if_plan(
    plan: Plan, inputs: PlanInputs, costs: tuple[float, float]
) -> list[dict[str, Any]]:
    """The baseline and three scenarios side by side: the staffing each needs, the wait each
    would get with the baseline's staffing unchanged, and the cost per resolved contact."""
    per_hour, per_ai = costs
    baseline_agents = [s.agents for s in plan.staffing]
    scenarios = {
        "baseline": (0.0, 1.0, 1.0),
        "AI resolution +10 pts": (0.10, 1.0, 1.0),
        "demand +20%": (0.0, 1.2, 1.0),
        "handle time +15%": (0.0, 1.0, 1.15),
    }
    rows = []
    for name, (more_ai, demand, aht_factor) in scenarios.items():
        rate = min(1.0, plan.ai_resolution + more_ai)
        contacts = _scaled(plan.forecast, demand)
        human = _scaled(contacts, 1 - rate)
        needed = summarize(_staff(human, inputs, aht_factor))
        kept = _fixed_staff_wait(human, baseline_agents, inputs, aht_factor)
        cost = needed["agent_hours_scheduled"] * per_hour + contacts.total * rate * per_ai
        rows.append({
            "scenario": name,
            "human_contacts": round(human.total, 1),
            "agent_hours_scheduled": round(needed["agent_hours_scheduled"], 1),
            "peak_agents": needed["peak_agents"],
            "service_level_with_baseline_staff": round(kept[0], 4),
            "asa_seconds_with_baseline_staff": round(kept[1], 1),
            "cost_per_resolved": round(cost / contacts.total, 3) if contacts.total else 0.0,
        })  # fmt: skip
    return rows


def _fixed_staff_wait(
    human: IntervalSeries, agents: list[int], inputs: PlanInputs, aht_factor: float
) -> tuple[float, float]:
    """Service level and mean wait, weighted by arrivals, if staffing stays as it is."""
    seconds = inputs.interval * 60
    aht = inputs.aht * aht_factor / inputs.concurrency
    served = level = wait = 0.0
    for count, staff in zip(human.counts, agents, strict=True):
        if count <= 0:
            continue
        rate = count / seconds
        if staff == 0:
            metrics_sl, metrics_asa = 0.0, math.inf
        elif inputs.patience is None:
            m = erlang_c_metrics(rate, aht, staff, inputs.target.within_seconds)
            metrics_sl, metrics_asa = m.service_level, m.asa
        else:
            m = erlang_a_metrics(rate, aht, inputs.patience, staff, inputs.target.within_seconds)
            metrics_sl, metrics_asa = m.service_level, m.asa
        served += count
        level += metrics_sl * count
        wait += metrics_asa * count
    return (level / served, wait / served) if served else (1.0, 0.0)


CsvOption = Annotated[Path | None, typer.Option("--csv", help="Arrivals: timestamp[,category].")]
SinceOption = Annotated[str, typer.Option(help="History window from the store, e.g. 28d.")]
IntervalOption = Annotated[int, typer.Option(help="Interval minutes: 15, 30 or 60.")]
HorizonOption = Annotated[int, typer.Option("--horizon-days", min=1, max=366)]
MethodOption = Annotated[str, typer.Option(help=f"Forecast method: {', '.join(METHODS)}.")]
AhtOption = Annotated[float, typer.Option(help="Handle time of work people get, seconds.")]
AiOption = Annotated[
    float,
    typer.Option(
        "--ai-resolution", help="Share the AI resolves (0..1); default: the store's, or 0."
    ),
]
UpliftOption = Annotated[float, typer.Option(help="Demand multiplier, e.g. 1.1 for +10%.")]
SlOption = Annotated[float, typer.Option("--service-level", help="Share answered in time.")]
WithinOption = Annotated[float, typer.Option(help="The service-level target, seconds.")]
ShrinkOption = Annotated[float, typer.Option(help="Paid time not on contacts, 0..1.")]
ConcOption = Annotated[float, typer.Option(help="Chats one agent handles at once.")]
PatienceOption = Annotated[
    float, typer.Option(help="Mean patience, seconds (Erlang A); 0 = never abandon (Erlang C).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ChartsOption = Annotated[
    Path | None, typer.Option("--charts", help="Write PNG charts into this folder.")
]


def _inputs(**values: Any) -> PlanInputs:
    patience = values.pop("patience")
    launch = values.pop("ai_launch", None)
    if launch is not None:
        try:
            moment = datetime.fromisoformat(launch)
        except ValueError:
            raise CapacityInputError(
                f"--ai-launch {launch!r}: give a date like 2026-09-01"
            ) from None
        values["ai_launch"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    target = Target(service_level=values.pop("service_level"), within_seconds=values.pop("within"))
    return PlanInputs(target=target, patience=patience or None, **values)


def _plan_from_options(
    csv: Path | None, db: str | None, since: str, **values: Any
) -> tuple[Plan, PlanInputs, Demand]:
    inputs = _inputs(**values)
    demand = _history(csv, db, since, inputs.interval)
    return make_plan(demand, inputs), inputs, demand


def _plan_charts(plan: Plan, folder: Path) -> list[Path]:
    return [
        charts.arrivals_chart(
            folder / "arrivals.png",
            plan.forecast.times(),
            plan.forecast.counts,
            plan.history.times(),
            plan.history.counts,
            title="Contacts per interval: history and forecast",
        ),
        charts.staffing_chart(
            folder / "staffing.png",
            plan.human.times(),
            [s.agents for s in plan.staffing],
            [s.scheduled for s in plan.staffing],
        ),
    ]


@capacity_app.command("plan")
def plan_command(
    csv: CsvOption = None,
    db: DbOption = None,
    since: SinceOption = "28d",
    interval: IntervalOption = 60,
    horizon_days: HorizonOption = 7,
    method: MethodOption = "profile",
    aht: AhtOption = 420.0,
    ai_resolution: AiOption = -1.0,
    uplift: UpliftOption = 1.0,
    service_level: SlOption = 0.8,
    within: WithinOption = 60.0,
    shrinkage: ShrinkOption = 0.3,
    concurrency: ConcOption = 1.0,
    patience: PatienceOption = 180.0,
    ai_launch: Annotated[
        str | None, typer.Option(help="AI launch date inside the history: fit the uplift.")
    ] = None,
    by_category: Annotated[
        bool, typer.Option("--by-category", help="Staff each category as its own queue.")
    ] = False,
    teams_file: Annotated[
        Path | None,
        typer.Option("--teams", help="YAML: teams, their categories, handle time, patience."),
    ] = None,
    scenarios: Annotated[
        bool, typer.Option("--what-if", help="AI +10 pts, demand +20%, handle time +15%.")
    ] = False,
    cost_per_agent_hour: Annotated[float, typer.Option(min=0)] = 30.0,
    ai_cost: Annotated[float, typer.Option(help="Cost per AI resolution.", min=0)] = 1.0,
    charts_dir: ChartsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast demand and the agents each interval needs for the target."""
    try:
        plan, inputs, demand = _plan_from_options(
            csv, db, since, interval=interval, horizon_days=horizon_days, method=method,
            aht=aht, ai_resolution=ai_resolution, uplift=uplift, service_level=service_level,
            within=within, shrinkage=shrinkage, concurrency=concurrency, patience=patience,
            ai_launch=ai_launch,
        )  # fmt: skip
        queues = read_teams(teams_file) if teams_file else None
        categories = plan_queues(demand, plan, inputs, queues) if by_category or queues else {}
        compared = what_if_plan(plan, inputs, (cost_per_agent_hour, ai_cost)) if scenarios else []
        written = _plan_charts(plan, charts_dir) if charts_dir else []
    except CapacityInputError as error:
        raise _fail(error) from error
    summary = plan.summary()
    if as_json:
        intervals = [
            {"start": t.isoformat(), "contacts": round(c, 2), "human": round(h, 2),
             "agents": s.agents, "scheduled": round(s.scheduled, 2),
             "service_level": round(s.metrics.service_level, 4),
             "asa_seconds": round(s.metrics.asa, 1), "abandon": round(s.metrics.p_abandon, 4)}
            for t, c, h, s in zip(plan.human.times(), plan.forecast.counts, plan.human.counts,
                                  plan.staffing, strict=True)
        ]  # fmt: skip
        body = {"summary": summary, "intervals": intervals}
        if categories:
            body["queues"] = categories
        if compared:
            body["what_if"] = compared
        typer.echo(json.dumps(body, indent=2))
        return
    for key, value in summary.items():
        console.print(f"{key.replace('_', ' '):>24}: {value:,}")
    if categories:
        typer.echo(
            "\neach team as its own queue:" if teams_file else "\neach category as its own queue:"
        )
        typer.echo(_table(categories))
    if compared:
        typer.echo("\nwhat if:")
        typer.echo(_table({row["scenario"]: {k: v for k, v in row.items() if k != "scenario"}
                           for row in compared}))  # fmt: skip
    for path in written:
        console.print(f"chart: {path}")


@capacity_app.command("simulate")
def simulate_command(
    csv: CsvOption = None,
    db: DbOption = None,
    since: SinceOption = "28d",
    interval: IntervalOption = 60,
    horizon_days: HorizonOption = 7,
    method: MethodOption = "profile",
    aht: AhtOption = 420.0,
    ai_resolution: AiOption = -1.0,
    uplift: UpliftOption = 1.0,
    service_level: SlOption = 0.8,
    within: WithinOption = 60.0,
    shrinkage: ShrinkOption = 0.3,
    concurrency: ConcOption = 1.0,
    patience: PatienceOption = 180.0,
    replications: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    seed: Annotated[int, typer.Option()] = 0,
    chart: Annotated[Path | None, typer.Option(help="PNG/SVG of simulated waits.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the plan's staffing through the simulation: do the formulas hold for this week?"""
    try:
        plan, inputs, _ = _plan_from_options(
            csv, db, since, interval=interval, horizon_days=horizon_days, method=method,
            aht=aht, ai_resolution=ai_resolution, uplift=uplift, service_level=service_level,
            within=within, shrinkage=shrinkage, concurrency=concurrency, patience=patience,
        )  # fmt: skip
        config = SimulationConfig(
            interval_minutes=interval,
            contact_types=(
                ContactType(
                    "contacts",
                    plan.human.counts,
                    aht / concurrency,
                    patience_seconds=inputs.patience,
                ),
            ),
            agent_groups=(
                AgentGroup("agents", frozenset({"contacts"}), [s.agents for s in plan.staffing]),
            ),
            target_seconds=within,
            replications=replications,
            seed=seed,
        )
        with Progress(
            "simulating", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            task = progress.add_task("simulate", total=replications)
            result = simulate(config, lambda done: progress.update(task, completed=done))
        if chart is not None:
            charts.waits_chart(
                chart,
                plan.human.times(),
                result.intervals.mean_wait.mean,
                result.intervals.mean_wait.half_width,
                within,
            )
    except CapacityInputError as error:
        raise _fail(error) from error
    formula = summarize(plan.staffing)
    overall = result.overall
    rows = {
        "service_level": (formula["service_level"], overall.service_level),
        "mean_wait_seconds": (formula["asa_seconds"], overall.mean_wait),
    }
    if as_json:
        typer.echo(json.dumps({"formula": formula, "simulation": result.to_dict()}, indent=2))
        return
    console.print(
        f"{result.contacts_simulated:,} contacts simulated over {replications} replications"
    )
    for name, (expected, estimate) in rows.items():
        console.print(
            f"{name:>20}: formula {expected:.3f}, simulated {estimate.mean:.3f} "
            f"± {estimate.half_width:.3f} (95% CI)"
        )
    abandon = overall.abandonment_rate
    console.print(f"{'abandonment':>20}: simulated {abandon.mean:.3%} ± {abandon.half_width:.3%}")


def _table(rows: dict[str, dict[str, Any]]) -> str:
    columns = list(next(iter(rows.values())))
    width = max(len(name) for name in rows) + 2
    lines = [" " * width + "  ".join(f"{c:>{max(len(c), 9)}}" for c in columns)]
    for name, row in rows.items():
        cells = "  ".join(f"{row[c]:>{max(len(c), 9)},}" for c in columns)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)


def _parse_sets(values: list[str]) -> dict[str, float]:
    names = {f.name for f in fields(TeamAssumptions)}
    changes: dict[str, float] = {}
    for value in values:
        key, _, number = value.partition("=")
        if key not in names:
            raise CapacityInputError(f"--set {value}: unknown assumption; one of {sorted(names)}")
        try:
            changes[key] = float(number)
        except ValueError:
            raise CapacityInputError(f"--set {value}: {number!r} is not a number") from None
    return changes


@capacity_app.command("roles")
def roles_command(
    team: Annotated[int, typer.Option(help="Frontline agents today.")],
    automation: Annotated[float, typer.Option(help="Share the AI resolves, 0..1.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Change an assumption: name=value.")
    ] = None,
    scenarios: Annotated[bool, typer.Option("--what-if", help="Compare scenarios.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The recommended team after automation, with every assumption and formula shown."""
    try:
        assumptions = TeamAssumptions(
            team_size=team, ai_resolution_rate=automation, **_parse_sets(set_ or [])
        )
        mix = plan_roles(assumptions)
        results = what_if(assumptions, WHAT_IF) if scenarios else []
    except (CapacityInputError, TypeError) as error:
        raise _fail(CapacityInputError(str(error))) from error
    if as_json:
        body: dict[str, Any] = {
            "assumptions": asdict(assumptions),
            "roles": {role.role: role.fte for role in mix.roles},
            "after_fte": mix.after_fte,
            "before_fte": mix.before_fte,
            "explanation": mix.explanation,
        }
        if results:
            body["what_if"] = {r.name: r.mix.by_role for r in results}
        typer.echo(json.dumps(body, indent=2, default=str))
        return
    typer.echo("\n".join(mix.explanation))  # plain: a terminal's width must not rewrap formulas
    if results:
        typer.echo("\n" + format_scenarios(results))


@capacity_app.command("validate")
def validate_command(
    data_dir: Annotated[Path, typer.Option(help="The folder holding the public datasets.")],
    seed: Annotated[int, typer.Option()] = 0,
    write_docs: Annotated[
        bool, typer.Option("--write-docs", help="Update docs/capacity.md.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fit on 1-14 Feb 1999 of a real bank call centre, predict 15-21 Feb, report errors."""
    try:
        report = validate(data_dir, seed=seed, progress=lambda step: err.print(f"… {step}"))
    except CapacityInputError as error:
        raise _fail(error) from error
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=_json_safe))
    else:
        typer.echo(format_validation(report))
    if write_docs:
        _write_section(report_markdown(report, datetime.now(UTC).date().isoformat()))
        err.print(f"wrote {DOCS}")


def _json_safe(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _write_section(section: str) -> None:
    start, end = "<!-- validation:start -->", "<!-- validation:end -->"
    page = DOCS.read_text(encoding="utf-8")
    if start not in page or end not in page:
        raise CapacityInputError(f"{DOCS} lacks the {start} … {end} markers")
    before, rest = page.split(start, 1)
    _, after = rest.split(end, 1)
    DOCS.write_text(f"{before}{start}\n{section}\n{end}{after}", encoding="utf-8")
