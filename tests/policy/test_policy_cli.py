"""The policy, audit and why commands, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

from factories import policy_source, rule
from sqlalchemy import text
from typer.testing import CliRunner

from relaydesk.cli import app
from relaydesk.db import Database
from relaydesk.policy import DEFAULT_POLICY_FILE

runner = CliRunner()
FILES = Path(__file__).parent / "files"


def ask(url: str, words: str) -> dict[str, object]:
    result = runner.invoke(app, ["ask", words, "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_check_passes_the_default_and_fails_a_broken_file(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["policy", "check", str(DEFAULT_POLICY_FILE)])
    assert ok.exit_code == 0, ok.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(policy_source(rule("typo", "signals.legal_thret.value")))
    result = runner.invoke(app, ["policy", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:" in result.output
    assert "legal_threat" in result.output
    missing = runner.invoke(app, ["policy", "check", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2


def test_load_show_history_rollback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        policy_source(rule("all-to-people", "true", team="cli-team"), version="c1")
    )
    ask(url, "hello")  # the first use seeds the default policy
    loaded = runner.invoke(app, ["policy", "load", str(candidate), "--db", url, "--by", "ann"])
    assert loaded.exit_code == 0, loaded.output
    assert "serves traffic now" in loaded.output
    assert ask(url, "How do I reset my password?")["decision"]["team"] == "cli-team"  # type: ignore[index]
    shown = runner.invoke(app, ["policy", "show", "--db", url])
    assert "all-to-people" in shown.output
    assert "c1" in shown.output
    log = runner.invoke(app, ["policy", "history", "--db", url])
    assert "ann" in log.output
    assert "seed" in log.output
    assert runner.invoke(app, ["policy", "rollback", "--db", url]).exit_code == 0
    answered = ask(url, "How do I reset my password?")
    assert answered["decision"]["route"] == "ai_reply"  # type: ignore[index]
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nrules: [")
    refused = runner.invoke(app, ["policy", "load", str(broken), "--db", url])
    assert refused.exit_code == 1
    assert "unchanged" in refused.output


def test_why_tells_the_story_of_a_decision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = ask(url, "I want a refund of $250 for the shoes, they fell apart")
    story = runner.invoke(app, ["why", str(result["message_id"]), "--db", url])
    assert story.exit_code == 0, story.output
    assert "refund-over-limit [billing-lead] decided" in story.output
    assert "amount: 250.00 ($250)" in story.output
    assert "its hash matches its content" in story.output
    assert runner.invoke(app, ["why", "424242", "--db", url]).exit_code == 1


def test_audit_verify_passes_then_catches_an_edit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for words in ("hello", "I want a human", "How do I reset my password?"):
        ask(url, words)
    head = runner.invoke(app, ["audit", "head", "--db", url])
    assert head.stdout.strip().startswith("3:")
    assert runner.invoke(app, ["audit", "verify", "--db", url]).exit_code == 0
    database = Database(url)
    with database.write() as session:
        session.execute(text("UPDATE decision_records SET route = 'ai_reply' WHERE seq = 2"))
    database.dispose()
    tampered = runner.invoke(app, ["audit", "verify", "--db", url])
    assert tampered.exit_code == 1
    assert "2" in tampered.output


def test_replay_prints_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for words in ("hello", "How do I reset my password?", "Do you ship to Australia?"):
        ask(url, words)
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(policy_source(rule("all-to-people", "true"), version="c1"))
    result = runner.invoke(
        app,
        [
            "policy",
            "replay",
            "--candidate",
            str(candidate),
            "--db",
            url,
            "--json",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 3
    # Everything goes to a person under the candidate: the two AI answers move.
    assert report["overall"]["ai_to_person"] == 2
    assert report["workload"]["after"] == 3
