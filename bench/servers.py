"""What the benchmark runs against: a uvicorn subprocess and the database backends.

SQLite is a file in the run's work directory; PostgreSQL is a throwaway server from
``tests/support/postgres.py``, or a reason why there is none.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from sqlalchemy import text

from relaydesk.db import Database
from relaydesk.permissions.api_keys import create_key

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_START_TIMEOUT = 60.0


# --- uvicorn ------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def prepare_database(url: str) -> str:
    """Migrate the database and create an API key in it; returns the key's plaintext."""
    database = Database(url)
    try:
        database.upgrade()
        with database.write() as session:
            _, plaintext = create_key(session, "bench")
        return plaintext
    finally:
        database.dispose()


@contextlib.contextmanager
def uvicorn_server(url: str, workdir: Path) -> Iterator[Server]:
    port: int = load_postgres_support().free_port()
    log_path = workdir / f"uvicorn-{port}.log"
    command = [sys.executable, "-m", "uvicorn", "relaydesk.app:create_app", "--factory"]
    command += ["--host", HOST, "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "RELAYDESK_DATABASE_URL": url}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    server = Server(f"http://{HOST}:{port}", process, log_path)
    try:
        wait_healthy(server)
        yield server
    finally:
        stop(process)


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"uvicorn exited during start-up:\n{server.log()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn not healthy after {SERVER_START_TIMEOUT:.0f}s:\n{server.log()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- backends -----------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    make_url: Callable[[str], str]  # a fresh, empty database for a name
    version: str


def load_support(name: str) -> ModuleType:
    """A module of ``tests/support`` (the test suite's real PostgreSQL server, fixtures)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"tests.support.{name}")


def load_postgres_support() -> ModuleType:
    return load_support("postgres")


@contextlib.contextmanager
def postgres_backend() -> Iterator[Backend | str]:
    """The PostgreSQL backend, or why it is unavailable."""
    try:
        server = load_postgres_support().start_postgres()
    except Exception as error:  # PostgresUnavailable, or a server that would not start
        yield f"PostgreSQL unavailable, skipped: {type(error).__name__}: {error}"
        return
    try:
        yield Backend("postgresql", server.create_database, f"PostgreSQL {server_version(server)}")
    finally:
        server.stop()


def server_version(server: Any) -> str:
    database = Database(server.url)
    try:
        with database.read() as session:
            return str(session.scalar(text("SHOW server_version")))
    finally:
        database.dispose()


def sqlite_backend(workdir: Path) -> Backend:
    def make_url(name: str) -> str:
        return f"sqlite:///{workdir / f'{name}.db'}"

    return Backend("sqlite", make_url, f"SQLite {sqlite3.sqlite_version}")


def each_backend(names: str, prefix: str) -> Iterator[Backend]:
    """Each available backend of a comma-separated list, in a work directory of its own run;
    one that cannot start is skipped, saying why on stderr."""
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        for name in names.split(","):
            with open_backend(name, Path(workdir)) as backend:
                if isinstance(backend, str):
                    print(backend, file=sys.stderr)
                    continue
                yield backend


@contextlib.contextmanager
def open_backend(name: str, workdir: Path) -> Iterator[Backend | str]:
    if name == "sqlite":
        yield sqlite_backend(workdir)
    else:
        with postgres_backend() as postgres:
            yield postgres
