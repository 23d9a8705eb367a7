"""The throwaway PostgreSQL server that storage and API tests run against."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text

from .postgres import PostgresServer, find_pg_bin, start_postgres_or_skip

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    server = start_postgres_or_skip()
    yield server
    server.stop()


def _engine(url: str) -> Engine:
    assert url.startswith("postgresql+psycopg://")
    return create_engine(url, pool_pre_ping=True)


def test_two_databases_are_separate_and_round_trip_rows(server: PostgresServer) -> None:
    engines = {name: _engine(server.create_database(name)) for name in ("alpha", "beta")}
    try:
        for name, engine in engines.items():
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL)"))
                conn.execute(text("INSERT INTO note (body) VALUES (:b)"), {"b": f"hello {name}"})
        for name, engine in engines.items():
            with engine.connect() as conn:
                assert conn.execute(text("SELECT current_database()")).scalar_one() == name
                assert conn.execute(text("SELECT body FROM note")).scalars().all() == [
                    f"hello {name}"
                ]
    finally:
        for engine in engines.values():
            engine.dispose()


def test_create_database_starts_fresh(server: PostgresServer) -> None:
    engine = _engine(server.create_database("again"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE leftover (id int)"))
    engine.dispose()  # dropping needs no open sessions, but FORCE would cope anyway

    engine = _engine(server.create_database("again"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT to_regclass('leftover')")).scalar() is None
    finally:
        engine.dispose()


def test_server_settings_suit_the_test_suite(server: PostgresServer) -> None:
    with psycopg.connect(server.conninfo()) as conn:
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('max_connections', 'fsync', 'server_encoding', 'TimeZone', 'listen_addresses')"
            ).fetchall()
        )
    assert int(settings["max_connections"]) >= 200
    assert settings["fsync"] == "off"
    assert settings["server_encoding"] == "UTF8"
    assert settings["TimeZone"] == "UTC"
    assert settings["listen_addresses"] == "127.0.0.1"


@pytest.mark.parametrize("bad", ["", "1abc", "has space", 'quo"te', "x" * 64, "postgres"])
def test_create_database_rejects_bad_names(server: PostgresServer, bad: str) -> None:
    with pytest.raises(ValueError, match=r"database name|refusing"):
        server.create_database(bad)


def test_stop_shuts_down_and_removes_the_data_dir() -> None:
    server = start_postgres_or_skip()
    assert server.data_dir.is_dir()
    pid = server.process.pid

    server.stop()
    server.stop()  # idempotent

    assert server.process.returncode is not None
    assert not server.base_dir.exists()
    assert not server.data_dir.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.conninfo(), connect_timeout=2)
    left = subprocess.run(
        ["pgrep", "-f", str(server.base_dir)], capture_output=True, text=True, check=False
    )
    assert left.stdout.strip() == "", f"postgres processes left behind (postmaster was {pid})"


def test_find_pg_bin_honours_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RELAYDESK_PG_BIN", str(tmp_path))
    assert find_pg_bin() is None  # no initdb there
    (tmp_path / "initdb").touch()
    assert find_pg_bin() == tmp_path
