"""The capacity commands, end to end: CSV in, plan, simulation, roles, validation."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaydesk.capacity.validation import DATASET, validate
from relaydesk.cli import app

runner = CliRunner()
HEADER = (
    "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\t"
    "q_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver"
)


def arrivals_csv(path: Path, days: int = 14) -> Path:
    rng = random.Random(3)
    start = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "category"])
        for hour in range(days * 24):
            busy = 8 <= hour % 24 < 18
            for _ in range(rng.randint(20, 30) if busy else rng.randint(0, 3)):
                at = start + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                writer.writerow([at.isoformat(), "orders"])
    return path


def test_plan_prints_json_and_draws_charts(tmp_path: Path) -> None:
    data = arrivals_csv(tmp_path / "arrivals.csv")
    result = runner.invoke(
        app,
        ["capacity", "plan", "--csv", str(data), "--ai-resolution", "0.5", "--json",
         "--charts", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert len(body["intervals"]) == 7 * 24
    assert body["summary"]["human_contacts"] == round(body["summary"]["forecast_contacts"] / 2, 1)
    busy = [i for i in body["intervals"] if i["start"].endswith("T10:00:00+00:00")]
    quiet = [i for i in body["intervals"] if i["start"].endswith("T03:00:00+00:00")]
    assert min(i["agents"] for i in busy) > max(i["agents"] for i in quiet)
    assert all(i["service_level"] >= 0.8 for i in body["intervals"] if i["human"] > 0)
    assert (tmp_path / "arrivals.png").stat().st_size > 1000
    assert (tmp_path / "staffing.png").stat().st_size > 1000


def test_simulate_checks_the_plan(tmp_path: Path) -> None:
    data = arrivals_csv(tmp_path / "arrivals.csv")
    chart = tmp_path / "waits.svg"
    result = runner.invoke(
        app,
        ["capacity", "simulate", "--csv", str(data), "--replications", "3", "--json",
         "--chart", str(chart)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    simulated = body["simulation"]["overall"]["service_level"]["mean"]
    assert abs(simulated - body["formula"]["service_level"]) < 0.1
    assert chart.read_text().startswith("<?xml")


def test_bad_inputs_say_what_to_fix(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["capacity", "plan", "--csv", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    assert "none.csv" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("when,category\n2026-10-01T00:00:00Z,orders\n")
    columns = runner.invoke(app, ["capacity", "plan", "--csv", str(bad)])
    assert columns.exit_code == 2
    assert "timestamp" in columns.output
    data = arrivals_csv(tmp_path / "arrivals.csv")
    impossible = runner.invoke(
        app, ["capacity", "plan", "--csv", str(data), "--service-level", "1.0"]
    )
    assert impossible.exit_code == 2
    assert "service" in impossible.output.lower()
    negative = runner.invoke(app, ["capacity", "roles", "--team", "-3", "--automation", "0.5"])
    assert negative.exit_code == 2
    unknown = runner.invoke(
        app, ["capacity", "roles", "--team", "25", "--automation", "0.6", "--set", "nope=1"]
    )
    assert unknown.exit_code == 2
    assert "unknown assumption" in unknown.output
    nowhere = runner.invoke(app, ["capacity", "validate", "--data-dir", str(tmp_path)])
    assert nowhere.exit_code == 2
    assert DATASET in nowhere.output


def test_roles_explain_the_25_agent_team_at_65_percent() -> None:
    result = runner.invoke(
        app, ["capacity", "roles", "--team", "25", "--automation", "0.65", "--what-if", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert 12 <= body["after_fte"] <= 15
    assert 8 <= body["roles"]["frontline"] <= 10
    assert any(line.startswith("frontline:") and "FTE" in line for line in body["explanation"])
    assert body["what_if"]["AI resolution +10 pts"]["frontline"] < body["roles"]["frontline"]


def synthetic_bank(folder: Path) -> Path:
    """Three weeks of calls in the bank data's format, from a known queue (5 agents)."""
    rng = random.Random(7)
    rows = [HEADER]
    call_id = 1000
    for day in range(1, 22):
        date = f"9902{day:02d}"
        for hour in range(8, 20):
            for _ in range(rng.randint(40, 60)):
                call_id += 1
                t = hour * 3600 + rng.randint(0, 3500)
                wait = int(rng.expovariate(1 / 40)) if rng.random() < 0.5 else 0
                hang = wait > 0 and rng.random() < 0.15

                def clock(s: int) -> str:
                    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"

                q = (clock(t), clock(t + wait)) if wait else ("0:00:00", "0:00:00")
                served = 0 if hang else int(rng.expovariate(1 / 200)) + 5
                start = t + wait
                service = (clock(start), clock(start + served)) if not hang else ("0:00:00",) * 2
                rows.append("\t".join([
                    "AA0101", str(call_id), "0", "1", "PS", date, clock(t - 5), clock(t), "5",
                    *q, str(wait), "HANG" if hang else "AGENT", *service, str(served),
                    "NO_SERVER" if hang else f"AGENT{rng.randint(1, 5)}",
                ]))  # fmt: skip
    (folder / DATASET).mkdir(parents=True)
    (folder / DATASET / "calls_feb_01_21.tsv").write_text("\n".join(rows) + "\n")
    return folder


def test_validation_fits_two_weeks_and_predicts_the_third(tmp_path: Path) -> None:
    report = validate(synthetic_bank(tmp_path))
    assert report.test_hours == 7 * 12
    assert report.best_forecast in report.forecast
    assert report.forecast[report.best_forecast]["wape"] < 0.25  # arrivals are flat by design
    assert {m.model for m in report.queue} == {"erlang_c", "erlang_a", "simulation"}
    assert all(m.hours > 0 for m in report.queue)
    assert report.best_queue_model in {"erlang_a", "simulation", "erlang_c"}
    assert 150 <= report.handle_seconds <= 260
    result = runner.invoke(app, ["capacity", "validate", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["best_queue_model"] == report.best_queue_model


def launch_csv(path: Path) -> Path:
    """Four weeks; from the third Monday on, 20% more contacts (an AI launch)."""
    rng = random.Random(5)
    start = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "category"])
        for hour in range(28 * 24):
            base = 40 if 8 <= hour % 24 < 18 else 4
            count = round(base * (1.2 if hour >= 14 * 24 else 1.0))
            for index in range(count):
                at = start + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                writer.writerow([at.isoformat(), "orders" if index % 3 else "billing"])
    return path


def test_plan_fits_the_uplift_splits_queues_and_compares_scenarios(tmp_path: Path) -> None:
    data = launch_csv(tmp_path / "launch.csv")
    result = runner.invoke(
        app,
        ["capacity", "plan", "--csv", str(data), "--ai-resolution", "0.5", "--ai-launch",
         "2026-09-21", "--by-category", "--what-if", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert abs(body["summary"]["demand_uplift"] - 1.2) < 0.02
    queues = body["queues"]
    assert set(queues) == {"orders", "billing"}
    with data.open() as handle:
        labels = [row["category"] for row in csv.DictReader(handle)]
    expected = labels.count("orders") / len(labels)
    assert abs(queues["orders"]["share_of_contacts"] - expected) < 1e-3
    # Two separate queues need more agent-hours than the one pooled queue.
    split = sum(q["agent_hours_scheduled"] for q in queues.values())
    assert split > body["summary"]["agent_hours_scheduled"]
    scenarios = {row["scenario"]: row for row in body["what_if"]}
    base = scenarios["baseline"]
    assert (
        scenarios["AI resolution +10 pts"]["agent_hours_scheduled"] < base["agent_hours_scheduled"]
    )
    assert scenarios["demand +20%"]["agent_hours_scheduled"] > base["agent_hours_scheduled"]
    assert (
        scenarios["handle time +15%"]["service_level_with_baseline_staff"]
        < base["service_level_with_baseline_staff"]
    )
    outside = runner.invoke(
        app, ["capacity", "plan", "--csv", str(data), "--ai-launch", "2027-01-01"]
    )
    assert outside.exit_code == 2
    assert "not inside the history" in outside.output


def test_teams_get_their_own_queue_handle_time_and_patience(tmp_path: Path) -> None:
    data = launch_csv(tmp_path / "launch.csv")
    teams = tmp_path / "teams.yaml"
    teams.write_text(
        "teams:\n"
        "  - {name: billing-desk, categories: [billing], aht_seconds: 900}\n"
        "  - {name: everyone-else, categories: ['*']}\n"
    )
    result = runner.invoke(app, ["capacity", "plan", "--csv", str(data), "--teams", str(teams),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    queues = json.loads(result.stdout)["queues"]
    assert queues["billing-desk"]["aht_seconds"] == 900
    assert queues["everyone-else"]["aht_seconds"] == 420
    assert queues["billing-desk"]["share_of_contacts"] + queues["everyone-else"][
        "share_of_contacts"
    ] == pytest.approx(1.0, abs=1e-3)
    teams.write_text("teams:\n  - {name: billing-desk, categories: [billing]}\n")
    missing = runner.invoke(app, ["capacity", "plan", "--csv", str(data), "--teams", str(teams)])
    assert missing.exit_code == 2
    assert "['orders'] are in no team" in missing.output
