"""Replaying stored decisions under a candidate policy, on SQLite and PostgreSQL.

The history is real: the demo sample messages sent through ``handle_message``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import policy_source, rule
from sqlalchemy import select, update

from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database
from relaydesk.pipeline import Parts
from relaydesk.policy import DEFAULT_POLICY_FILE, PolicyInvalid, Route, compile_policy, decide
from relaydesk.policy import replay as replay_module
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.records import read_body
from relaydesk.policy.replay import ReplayReport, format_report, replay
from relaydesk.settings import DEMO_DIR

PERSON = {Route.HANDOFF, Route.REQUIRE_APPROVAL}


def inbound(text: str = "How do I reset my password?", **fields: object) -> Inbound:
    key = fields.pop("idempotency_key", None)
    message = MessageCreate.model_validate({"channel": "web", "text": text, **fields})
    return Inbound(message, api_key_id="key-1", idempotency_key=key)  # type: ignore[arg-type]


def sample_texts() -> list[str]:
    lines = (DEMO_DIR / "sample_messages.jsonl").read_text().splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


@pytest.fixture
def history(database: Database, parts: Parts) -> int:
    """Every demo sample message, stored and decided; returns how many."""
    texts = sample_texts()
    for text in texts:
        handle_message(database, parts, inbound(text))
    return len(texts)


def default_with(**thresholds: float) -> str:
    """The default policy with some category thresholds changed."""
    document: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_FILE.read_text())
    document["version"] = "candidate"
    document["thresholds"]["categories"].update(thresholds)
    return yaml.safe_dump(document, sort_keys=False)


def stored(database: Database) -> list[tuple[DecisionRecord, dict[str, Any]]]:
    with database.read() as session:
        records = session.scalars(select(DecisionRecord).order_by(DecisionRecord.seq)).all()
        return [(record, read_body(record)["facts"]) for record in records]


def recount(database: Database, source: str) -> dict[str, int]:
    """The change counts, worked out here record by record with ``decide``."""
    policy = compile_policy(source)
    counts = dict.fromkeys(("unchanged", "ai_to_person", "person_to_ai", "other"), 0)
    for record, facts in stored(database):
        after = decide(facts, policy)
        before_person, after_person = record.route in PERSON, after.route in PERSON
        if (after.route, after.team) == (record.route, record.team):
            counts["unchanged"] += 1
        elif before_person == after_person:
            counts["other"] += 1
        elif after_person:
            counts["ai_to_person"] += 1
        else:
            counts["person_to_ai"] += 1
    return counts


def changes(report: ReplayReport) -> dict[str, int]:
    return report.overall.model_dump(include={"unchanged", "ai_to_person", "person_to_ai",
                                              "other"})  # fmt: skip


def test_the_active_policy_changes_nothing(database: Database, history: int) -> None:
    report = replay(database.url, DEFAULT_POLICY_FILE.read_text(), workers=1)
    assert report.records == report.overall.total == history
    assert report.overall.unchanged == history
    assert report.overall.changed == 0
    assert report.workload.delta == 0
    assert report.workload.before > 0  # the samples include handoffs
    assert report.fail_safe == 0
    assert all(not found for found in report.examples.values())
    assert sum(c.total for c in report.categories.values()) == history


@pytest.mark.parametrize(
    "thresholds",
    [
        pytest.param({"orders": 0.95, "shipping": 0.95, "products": 0.9}, id="higher"),
        pytest.param({"refunds": 0.1, "returns": 0.1, "account": 0.1, "billing": 0.1}, id="lower"),
    ],
)
def test_change_counts_match_a_recount(
    database: Database, history: int, thresholds: dict[str, float]
) -> None:
    candidate = default_with(**thresholds)
    report = replay(database.url, candidate, workers=1, examples=2)
    expected = recount(database, candidate)
    assert changes(report) == expected
    assert report.overall.changed > 0  # the thresholds chosen do move some samples
    assert report.records == history
    for kind, found in report.examples.items():
        assert len(found) == min(2, getattr(report.overall, kind.value))
        assert [e.seq for e in found] == sorted(e.seq for e in found)
        assert all(len(e.text) <= 120 for e in found)
    delta = report.overall.ai_to_person - report.overall.person_to_ai
    assert report.workload.delta == delta
    assert report.workload.after == report.workload.before + delta
    team_total = sum(w.after for w in report.workload_by_team.values())
    assert team_total == report.workload.after


def test_raising_a_bar_sends_the_ai_answers_of_that_category_to_people(
    database: Database, history: int
) -> None:
    report = replay(database.url, default_with(orders=1.0, shipping=1.0), workers=1)
    moved = report.categories["orders"].ai_to_person + report.categories["shipping"].ai_to_person
    assert moved == report.overall.ai_to_person > 0
    assert report.overall.person_to_ai == 0
    for example in report.examples[replay_module.ChangeKind.AI_TO_PERSON]:
        assert example.before.route == "ai_reply"
        assert (example.after.route, example.after.rule) == ("handoff", "below-threshold")
        assert example.after.reason is not None
        assert "threshold 1.00" in example.after.reason
    text = format_report(report)
    assert "AI→person" in text
    assert "below-threshold" in text


def test_two_workers_give_the_same_report_as_one(
    database: Database, history: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidate = default_with(orders=0.9, products=0.2, refunds=0.3)
    alone = replay(database.url, candidate, workers=1)
    monkeypatch.setattr(replay_module, "CHUNK", 7)  # several chunks, so the pool runs
    done: list[int] = []
    pooled = replay(database.url, candidate, workers=2, progress=done.append)
    assert pooled == alone
    assert len(done) == -(-history // 7)
    assert done == sorted(done)
    assert done[-1] == history


def test_since_leaves_out_older_records(database: Database, history: int) -> None:
    with database.write() as session:
        old = session.scalars(select(DecisionRecord.seq).order_by(DecisionRecord.seq)).all()[:15]
        past = datetime.now(UTC) - timedelta(days=30)
        session.execute(
            update(DecisionRecord).where(DecisionRecord.seq.in_(old)).values(created_at=past)
        )
    since = datetime.now(UTC) - timedelta(days=1)
    candidate = default_with(orders=1.0)
    report = replay(database.url, candidate, since=since, workers=1)
    assert report.records == history - 15
    assert report.since == since
    everything = replay(database.url, candidate, workers=1)
    assert everything.records == history
    recent = [e.seq for found in report.examples.values() for e in found]
    assert not set(recent) & set(old)


def test_a_rule_that_errors_is_counted_as_fail_safe(database: Database, history: int) -> None:
    # No customer has a "plan" attribute: reading it errors, and a person takes over.
    candidate = policy_source(rule("gold-plan", 'customer.attributes.plan == "gold"'))
    report = replay(database.url, candidate, workers=1)
    assert report.fail_safe == history
    assert report.fail_safe_before == 0
    assert report.workload.after == history
    assert "Fail-safe" in format_report(report)


def test_an_invalid_candidate_is_refused_before_reading(tmp_path: Path) -> None:
    nowhere = f"sqlite:///{tmp_path / 'missing' / 'relaydesk.db'}"  # opening it would fail
    with pytest.raises(PolicyInvalid):
        replay(nowhere, policy_source(rule("broken", "signals.no_such_fact.value")))


def test_an_empty_history_gives_an_empty_report(database: Database) -> None:
    report = replay(database.url, DEFAULT_POLICY_FILE.read_text(), workers=2)
    assert report.records == report.overall.total == 0
    assert report.workload.percent is None
    assert "0 stored decisions" in format_report(report)
