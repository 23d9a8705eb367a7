"""A throwaway PostgreSQL server for the test suite.

``start_postgres()`` runs ``initdb`` into a fresh temporary directory and starts ``postgres``
on a free loopback port, tuned for speed rather than durability (no fsync, trust auth).
``PostgresServer.stop()`` shuts it down and deletes the directory; an ``atexit`` hook does
the same if a test run forgets to.  PostgreSQL refuses to run as root, so when we are root
the server runs as the ``postgres`` user that Debian's ``postgresql`` package creates.

Environment:
  RELAYDESK_PG_BIN            directory holding initdb/postgres (default: newest
                              /usr/lib/postgresql/*/bin, then initdb on PATH)
  RELAYDESK_REQUIRE_POSTGRES  "1" turns "PostgreSQL is unavailable" into a test failure
                              instead of a skip (see ``start_postgres_or_skip``)
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
HOST = "127.0.0.1"
TEMP_PREFIX = "relaydesk-pg-"
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 15.0

# Durability is worthless for a throwaway test cluster; connections matter because API
# tests fire 50+ concurrent requests, each holding a pooled connection.
SERVER_SETTINGS = {
    "listen_addresses": HOST,
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "TimeZone": "UTC",
}

_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries (or the unprivileged user to run them as) are missing."""


@dataclass
class PostgresServer:
    url: str  # SQLAlchemy URL of the maintenance database "postgres"
    host: str
    port: int
    user: str
    base_dir: Path  # temp dir holding data/, the unix socket and postgres.log
    data_dir: Path
    log_path: Path
    pg_bin: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    _stopped: bool = field(default=False, init=False, repr=False)

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq connection string, for using psycopg directly."""
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def url_for(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` (dropping any previous one) and return its URL."""
        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"invalid database name {name!r}: use [A-Za-z_][A-Za-z0-9_]*, <=63")
        if name in {"postgres", "template0", "template1"}:
            raise ValueError(f"refusing to recreate {name!r}")
        ident = sql.Identifier(name)
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        return self.url_for(name)

    def stop(self) -> None:
        """Fast shutdown (rolls back open transactions), then delete the temp dir. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        _terminate(self.process)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        return _tail(self.log_path, lines)


def find_pg_bin() -> Path | None:
    """Directory with initdb and postgres: $RELAYDESK_PG_BIN, else the newest Debian one."""
    override = os.environ.get("RELAYDESK_PG_BIN")
    if override:
        path = Path(override)
        return path if (path / "initdb").is_file() else None
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if candidates:
        return max(candidates, key=lambda p: _version_key(p.parent.name))
    on_path = shutil.which("initdb")  # e.g. Homebrew, or a source build
    return Path(on_path).resolve().parent if on_path else None


def start_postgres() -> PostgresServer:
    """Start a fresh server; raises PostgresUnavailable if it cannot be run here."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        where = os.environ.get("RELAYDESK_PG_BIN") or "/usr/lib/postgresql/*/bin or PATH"
        raise PostgresUnavailable(
            f"no PostgreSQL initdb found in {where} (Debian: apt-get install postgresql)"
        )
    if not (pg_bin / "postgres").is_file():
        raise PostgresUnavailable(f"{pg_bin} has initdb but no postgres binary")
    owner = _server_owner()

    temp_root = _temp_root(owner)
    _remove_stale_dirs(Path(temp_root or tempfile.gettempdir()))
    base_dir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=temp_root))
    try:
        if owner is not None:
            os.chown(base_dir, owner.pw_uid, owner.pw_gid)
        data_dir = base_dir / "data"
        _run_initdb(pg_bin, data_dir, base_dir, owner)
        attempts = 5  # the free port we picked can be taken before postgres binds it
        for attempt in range(1, attempts + 1):
            try:
                return _start_server(pg_bin, base_dir, data_dir, owner)
            except _PortInUseError:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")
    except BaseException:
        shutil.rmtree(base_dir, ignore_errors=True)
        raise


def start_postgres_or_skip() -> PostgresServer:
    """For fixtures: skip when PostgreSQL is unavailable, fail if RELAYDESK_REQUIRE_POSTGRES=1."""
    import pytest

    try:
        return start_postgres()
    except PostgresUnavailable as exc:
        if os.environ.get("RELAYDESK_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"RELAYDESK_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")


# --- internals ---------------------------------------------------------------------------


class _PortInUseError(RuntimeError):
    pass


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def _server_owner() -> pwd.struct_passwd | None:
    """The user to run the server as: None means "ourselves" (we are not root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "running as root, and PostgreSQL refuses to; no 'postgres' user to run it as "
            "(the Debian postgresql package creates one)"
        ) from None


def _temp_root(owner: pwd.struct_passwd | None) -> str | None:
    """Where to mkdtemp: the default temp dir, unless another user cannot traverse it."""
    if owner is None:
        return None
    default = Path(tempfile.gettempdir()).resolve()
    for root in (default, Path("/tmp")):
        if all(p.stat().st_mode & stat.S_IXOTH for p in (root, *root.parents)):
            return str(root)
    raise PostgresUnavailable(f"no temp dir the {owner.pw_name!r} user can reach")


def _remove_stale_dirs(root: Path, min_age: float = 3600.0) -> None:
    """Delete dirs left by test runs that were SIGKILLed/SIGTERMed (atexit never ran).

    The postmaster of such a run is already gone (see ``_die_with_parent``). A live server
    always has ``data/postmaster.pid``, and one being set up is seconds old, not an hour.
    """
    cutoff = time.time() - min_age
    for path in root.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff and not (path / "data/postmaster.pid").exists():
                shutil.rmtree(path, ignore_errors=True)


def _child_env(owner: pwd.struct_passwd | None, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C", TZ="UTC")
    if owner is not None:
        env.update(HOME=str(home), USER=owner.pw_name, LOGNAME=owner.pw_name)
    return env


def _ids(owner: pwd.struct_passwd | None) -> tuple[int | None, int | None, list[int] | None]:
    """(user, group, extra_groups) for subprocess: switch to ``owner`` and drop root's groups."""
    if owner is None:
        return None, None, None
    return owner.pw_uid, owner.pw_gid, []


def _run_initdb(pg_bin: Path, data_dir: Path, cwd: Path, owner: pwd.struct_passwd | None) -> None:
    cmd = [
        str(pg_bin / "initdb"),
        f"--pgdata={data_dir}",
        f"--username={SUPERUSER}",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
    ]
    uid, gid, groups = _ids(owner)
    result = subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
        cwd=cwd,
        env=_child_env(owner, cwd),
        user=uid,
        group=gid,
        extra_groups=groups,
    )
    if result.returncode != 0:
        output = result.stdout.decode(errors="replace").strip()
        raise RuntimeError(f"initdb failed (exit {result.returncode}):\n{output}")


def _start_server(
    pg_bin: Path, base_dir: Path, data_dir: Path, owner: pwd.struct_passwd | None
) -> PostgresServer:
    port = free_port()
    log_path = base_dir / "postgres.log"
    process = _spawn_postgres(pg_bin, data_dir, base_dir, log_path, port, owner)
    server = PostgresServer(
        url=f"postgresql+psycopg://{SUPERUSER}@{HOST}:{port}/postgres",
        host=HOST,
        port=port,
        user=SUPERUSER,
        base_dir=base_dir,
        data_dir=data_dir,
        log_path=log_path,
        pg_bin=pg_bin,
        process=process,
    )
    atexit.register(server.stop)
    try:
        _wait_until_ready(server)
    except BaseException:
        atexit.unregister(server.stop)
        _terminate(process)
        raise
    return server


def _spawn_postgres(
    pg_bin: Path,
    data_dir: Path,
    socket_dir: Path,
    log_path: Path,
    port: int,
    owner: pwd.struct_passwd | None,
) -> subprocess.Popen[bytes]:
    cmd = [str(pg_bin / "postgres"), "-D", str(data_dir), "-p", str(port), "-k", str(socket_dir)]
    for name, value in SERVER_SETTINGS.items():
        cmd += ["-c", f"{name}={value}"]
    uid, gid, groups = _ids(owner)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=socket_dir,
            env=_child_env(owner, socket_dir),
            user=uid,
            group=gid,
            extra_groups=groups,
            # Own session: a Ctrl-C in the terminal reaches pytest, which stops us cleanly.
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: SIGINT (fast shutdown) the postmaster if the test process is killed outright.

    Runs in the child after the uid switch (which would otherwise reset the setting).  The
    kernel fires it when the *thread* that forked exits, so only use it from the main thread.
    """
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGINT, 0, 0, 0)

    return preexec


def free_port() -> int:
    """A loopback port that is free now (tests and benchmarks bind servers to it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(server: PostgresServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log_tail()
            if "Address already in use" in tail or "could not create any TCP/IP sockets" in tail:
                raise _PortInUseError(tail)
            raise RuntimeError(
                f"postgres exited with code {server.process.returncode} during startup; "
                f"log tail ({server.log_path}):\n{tail}"
            )
        try:
            with psycopg.connect(server.conninfo(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            last_error = exc
            time.sleep(0.02)
    raise RuntimeError(
        f"postgres did not accept connections on {server.host}:{server.port} within "
        f"{STARTUP_TIMEOUT:.0f}s (last error: {last_error}); log tail ({server.log_path}):\n"
        f"{server.log_tail()}"
    )


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGINT = fast shutdown; escalate to SIGQUIT (immediate), then SIGKILL."""
    for sig, timeout in ((signal.SIGINT, SHUTDOWN_TIMEOUT), (signal.SIGQUIT, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    if process.poll() is None:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<no log: {exc}>"
    return "\n".join(text.splitlines()[-lines:])
