"""Fixtures: every storage and API test runs on SQLite and on a live PostgreSQL server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.postgres import PostgresServer, start_postgres_or_skip

from relaydesk.app import create_app
from relaydesk.db import Database
from relaydesk.permissions.api_keys import create_key
from relaydesk.pipeline import Parts
from relaydesk.settings import Settings
from relaydesk.startup import load_parts

_database_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres_or_skip()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'relaydesk.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"relaydesk_{os.getpid()}_{next(_database_names)}")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def parts() -> Parts:
    return load_parts(Settings())


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, idempotency_wait_seconds=5)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def api_key(client: TestClient) -> str:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    with database.write() as session:
        _, plaintext = create_key(session, "tests")
    return plaintext


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI nothing may skip: a skipped PostgreSQL or browser test is a failed run."""
    if os.environ.get("RELAYDESK_CI") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"RELAYDESK_CI=1: {skipped} tests skipped; CI requires none", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
