"""``relaydesk agent``: the first admin of a fresh install, and new passwords."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from relaydesk.cli import app
from relaydesk.db import Database
from relaydesk.queue.agents import authenticate

runner = CliRunner()


def signs_in(url: str, email: str, password: str) -> bool:
    database = Database(url)
    try:
        with database.read() as session:
            return authenticate(session, email, password) is not None
    finally:
        database.dispose()


def test_add_prints_a_password_that_signs_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'agents.db'}"
    added = runner.invoke(
        app,
        ["agent", "add", "Rosa Alvarez", "rosa@stride.example", "--role", "admin",
         "--team", "frontline", "--team", "billing", "--db", url],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    password = added.stdout.strip().splitlines()[-1]
    assert signs_in(url, "ROSA@stride.example", password)
    assert not signs_in(url, "rosa@stride.example", password + "x")

    listed = runner.invoke(app, ["agent", "list", "--db", url], env={"COLUMNS": "200"})
    assert "Rosa Alvarez" in listed.stdout
    assert "frontline, billing" in listed.stdout

    again = runner.invoke(app, ["agent", "password", "rosa@stride.example", "--db", url])
    fresh = again.stdout.strip().splitlines()[-1]
    assert fresh != password
    assert signs_in(url, "rosa@stride.example", fresh)
    assert not signs_in(url, "rosa@stride.example", password)


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'agents.db'}"
    bad = runner.invoke(app, ["agent", "add", "X", "not-an-email", "--db", url])
    assert bad.exit_code == 1
    assert "email" in bad.stdout
    runner.invoke(app, ["agent", "add", "Ann", "ann@example.com", "--db", url])
    twice = runner.invoke(app, ["agent", "add", "Ann", "ann@example.com", "--db", url])
    assert twice.exit_code == 1
    assert "already exists" in twice.stdout
    unknown = runner.invoke(app, ["agent", "password", "nobody@example.com", "--db", url])
    assert unknown.exit_code == 1
    assert "no agent with email nobody@example.com" in unknown.stdout
