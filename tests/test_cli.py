from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from relaydesk.cli import app
from relaydesk.db import Database
from relaydesk.permissions.api_keys import authenticate

runner = CliRunner()


def test_ask_runs_the_path_and_prints_the_decision(database_url: str) -> None:
    result = runner.invoke(app, ["ask", "Can I talk to a human?", "--db", database_url, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["decision"]["route"] == "handoff"
    assert body["handoff"]["team"] == "frontline"


def test_ask_prints_a_readable_story(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["ask", "How do I reset my password?", "--db", url])
    assert result.exit_code == 0, result.output
    assert "ai_reply" in result.stdout
    assert "source: How to reset your password" in result.stdout


def test_ask_refuses_empty_text(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ask", "  ", "--db", f"sqlite:///{tmp_path / 'cli.db'}"])
    assert result.exit_code == 2


def test_apikey_create_prints_a_key_that_authenticates(database_url: str) -> None:
    result = runner.invoke(app, ["apikey", "create", "zendesk", "--db", database_url])
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip().splitlines()[-1]
    database = Database(database_url)
    with database.read() as session:
        key = authenticate(session, plaintext)
        assert key is not None
        assert key.name == "zendesk"
        assert key.key_hash != plaintext  # only the hash is stored
    again = runner.invoke(app, ["apikey", "create", "zendesk", "--db", database_url])
    assert again.exit_code == 1
    revoked = runner.invoke(app, ["apikey", "revoke", "zendesk", "--db", database_url])
    assert revoked.exit_code == 0
    with database.read() as session:
        assert authenticate(session, plaintext) is None
    database.dispose()


def test_demo_loads_customers_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = runner.invoke(app, ["demo", "--db", url])
    second = runner.invoke(app, ["demo", "--db", url])
    assert "'added': 6" in first.stdout
    assert "'added': 0" in second.stdout


def test_train_prints_how_held_out_examples_fared(tmp_path: Path) -> None:
    demo = Path(__file__).parent.parent / "relaydesk" / "demo" / "categories.yaml"
    result = runner.invoke(
        app,
        ["train", "--categories-file", str(demo), "--no-dense", "--cache-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "trained on 122 examples" in result.output
    assert "each example held out of training gets its own intent back" in result.output
    assert "most often taken for another category: " in result.output
