"""Benchmark of the message path: pure, stored in process, and over HTTP.

    python bench/message_path.py [--messages N] [--concurrency C]
                                 [--backends sqlite,postgresql] [--write-docs]

1. pure      ``pipeline.run`` on Turns built from the demo sample messages, in process
2. stored    ``handle_message`` (store + decide + record), sequential, per backend
3. http      ``POST /v1/messages`` to a real uvicorn server, C concurrent clients, per backend;
             then 50 concurrent requests with one Idempotency-Key must store one message

Inputs are seeded (``--seed``): the same arguments send the same messages. PostgreSQL is a
throwaway server from ``tests/support/postgres.py``; without one that backend is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import platform
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from sqlalchemy import text

from relaydesk.conversations.schemas import CustomerIn, MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.conversations.turn import CustomerContext, Turn
from relaydesk.db import Database
from relaydesk.permissions.api_keys import create_key
from relaydesk.pipeline import Parts, run
from relaydesk.settings import DEMO_DIR, Settings
from relaydesk.startup import load_parts

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
HOST = "127.0.0.1"
CUSTOMERS = 50
IDEMPOTENT_REQUESTS = 50
WARMUP = 20
SERVER_START_TIMEOUT = 60.0
HTTP_TIMEOUT = 60.0


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """Deterministic message texts and customers, from a seed."""

    texts: tuple[str, ...]
    emails: tuple[str, ...]
    seed: int

    @classmethod
    def load(cls, seed: int) -> Inputs:
        lines = (DEMO_DIR / "sample_messages.jsonl").read_text().splitlines()
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
        random.Random(seed).shuffle(texts)
        emails = tuple(f"customer{k:02d}@bench.example" for k in range(CUSTOMERS))
        return cls(tuple(texts), emails, seed)

    def messages(self, count: int, prefix: str) -> list[MessageCreate]:
        """``count`` messages: texts cycled, customers drawn from the pool, unique ids."""
        rng = random.Random(f"{self.seed}-{prefix}")
        return [
            MessageCreate(
                channel="web",
                external_id=f"{prefix}-{i}",
                customer=CustomerIn(email=rng.choice(self.emails)),
                text=self.texts[i % len(self.texts)],
            )
            for i in range(count)
        ]

    def turns(self, count: int) -> list[Turn]:
        rng = random.Random(f"{self.seed}-turns")
        return [
            Turn(
                message_id=i + 1,
                conversation_id=f"bench-{i}",
                text=self.texts[i % len(self.texts)],
                channel="web",
                customer=CustomerContext(id=f"customer-{rng.randrange(CUSTOMERS)}"),
            )
            for i in range(count)
        ]


# --- results ------------------------------------------------------------------------------


@dataclass
class Row:
    """One measurement: per-message latencies (seconds) and the wall time of the whole run."""

    measure: str
    backend: str
    latencies: list[float]
    seconds: float
    failures: int = 0
    failure_detail: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]


@dataclass
class IdempotencyCheck:
    backend: str
    statuses: Counter[int]
    stored: int
    decisions: int

    @property
    def ok(self) -> bool:
        return self.stored == 1 and self.decisions == 1 and self.statuses[201] == 1


@dataclass
class Report:
    machine: str
    settings: str
    rows: list[Row] = field(default_factory=list)
    checks: list[IdempotencyCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def latency(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1e3:.1f} ms"


HEADER = ("measurement", "backend", "messages", "msg/s", "p50", "p99", "errors")


def cells(row: Row) -> tuple[str, ...]:
    return (
        row.measure,
        row.backend,
        f"{len(row.latencies) + row.failures:,}",
        f"{row.rate:,.0f}",
        latency(row.percentile(50)),
        latency(row.percentile(99)),
        str(row.failures),
    )


def text_table(rows: list[Row]) -> str:
    lines = [HEADER, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]

    def fmt(line: tuple[str, ...]) -> str:
        first = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        rest = [value.rjust(width) for value, width in zip(line[2:], widths[2:], strict=True)]
        return "  ".join(first + rest)

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([fmt(lines[0]), rule, *(fmt(line) for line in lines[1:])])


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|--:|--:|--:|--:|--:|"]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def describe_check(check: IdempotencyCheck) -> str:
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(check.statuses.items()))
    verdict = "OK" if check.ok else "FAILED"
    return (
        f"{check.backend}: {IDEMPOTENT_REQUESTS} concurrent requests, one Idempotency-Key → "
        f"{statuses}; messages stored: {check.stored}, decisions: {check.decisions} — {verdict}"
    )


# --- 1. pure path -------------------------------------------------------------------------


def bench_pure(parts: Parts, inputs: Inputs, count: int) -> Row:
    turns = inputs.turns(count)
    for turn in turns[:WARMUP]:
        run(turn, parts)
    return timed("pure path (pipeline.run)", "—", turns, lambda turn: run(turn, parts))


def timed(measure: str, backend: str, items: list[Any], call: Callable[[Any], object]) -> Row:
    latencies = []
    started = time.perf_counter()
    for item in items:
        begin = time.perf_counter()
        call(item)
        latencies.append(time.perf_counter() - begin)
    return Row(measure, backend, latencies, time.perf_counter() - started)


# --- 2. stored path -----------------------------------------------------------------------


def bench_stored(url: str, backend: str, parts: Parts, inputs: Inputs, count: int) -> Row:
    database = Database(url)
    try:
        database.upgrade()
        for message in inputs.messages(WARMUP, "stored-warmup"):
            handle_message(database, parts, Inbound(message))
        messages = inputs.messages(count, "stored")
        return timed(
            "stored (handle_message)",
            backend,
            messages,
            lambda message: handle_message(database, parts, Inbound(message)),
        )
    finally:
        database.dispose()


# --- 3. over HTTP -------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


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
    port = free_port()
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


@dataclass
class Outcome:
    seconds: float
    status: int | None  # None: the request failed without a response
    detail: str


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Outcome:
    begin = time.perf_counter()
    try:
        response = await client.post("/v1/messages", json=body, headers=headers)
    except httpx.HTTPError as error:
        return Outcome(time.perf_counter() - begin, None, f"{type(error).__name__}: {error}")
    status, detail = response.status_code, response.text[:300]
    return Outcome(time.perf_counter() - begin, status, detail)


def http_client(server: Server, key: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {key}"},
        limits=limits,
        timeout=HTTP_TIMEOUT,
    )


async def send_all(
    server: Server, key: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[list[Outcome], float]:
    """Send every body with ``concurrency`` workers; returns outcomes and the wall time."""
    pending = iter(bodies)
    outcomes: list[Outcome] = []
    async with http_client(server, key, concurrency) as client:

        async def worker() -> None:
            for body in pending:  # one shared iterator: each body is sent once
                outcomes.append(await post(client, body))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return outcomes, time.perf_counter() - started


def http_row(backend: str, concurrency: int, outcomes: list[Outcome], seconds: float) -> Row:
    good = [o.seconds for o in outcomes if o.status == 201]
    bad = [o for o in outcomes if o.status != 201]
    detail = Counter(f"{o.status}: {o.detail}" for o in bad)
    measure = f"HTTP POST /v1/messages, c={concurrency}"
    return Row(measure, backend, good, seconds, len(bad), detail)


def bench_http(
    server: Server, key: str, backend: str, inputs: Inputs, count: int, concurrency: int
) -> Row:
    def bodies(n: int, prefix: str) -> list[dict[str, Any]]:
        return [m.model_dump(mode="json", exclude_none=True) for m in inputs.messages(n, prefix)]

    asyncio.run(send_all(server, key, bodies(WARMUP, "http-warmup"), 1))
    outcomes, seconds = asyncio.run(send_all(server, key, bodies(count, "http"), concurrency))
    return http_row(backend, concurrency, outcomes, seconds)


async def same_key_burst(server: Server, key: str, body: dict[str, Any]) -> list[Outcome]:
    headers = {"Idempotency-Key": "bench-idempotency-probe"}
    async with http_client(server, key, IDEMPOTENT_REQUESTS) as client:
        return await asyncio.gather(
            *(post(client, body, headers) for _ in range(IDEMPOTENT_REQUESTS))
        )


def check_idempotency(server: Server, key: str, url: str, backend: str) -> IdempotencyCheck:
    probe = f"Idempotency probe {time.time_ns()}: where is my order?"
    body = {"channel": "web", "customer": {"email": "probe@bench.example"}, "text": probe}
    outcomes = asyncio.run(same_key_burst(server, key, body))
    statuses = Counter(o.status if o.status is not None else -1 for o in outcomes)
    stored, decisions = count_probe(url, probe)
    return IdempotencyCheck(backend, statuses, stored, decisions)


def count_probe(url: str, probe: str) -> tuple[int, int]:
    """(message_in events with the probe's text, decisions recorded for them)."""
    messages = "SELECT id FROM events WHERE kind = 'message_in' AND text = :t"
    decisions = f"SELECT count(*) FROM events WHERE kind = 'decision' AND caused_by IN ({messages})"
    database = Database(url)
    try:
        with database.read() as session:
            stored = session.scalar(text(f"SELECT count(*) FROM ({messages}) m"), {"t": probe})
            decided = session.scalar(text(decisions), {"t": probe})
        return int(stored or 0), int(decided or 0)
    finally:
        database.dispose()


# --- backends -----------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    make_url: Callable[[str], str]  # a fresh, empty database for a name
    version: str


def load_postgres_support() -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("tests.support.postgres")


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


def machine_facts(versions: list[str]) -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    facts = [f"{os.cpu_count()} CPUs ({cpu})", f"{platform.system()} {platform.release()}"]
    facts += [f"Python {platform.python_version()}", *versions]
    return ", ".join(facts)


# --- main ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    messages: int
    pure: int
    stored: int
    concurrency: int
    backends: tuple[str, ...]
    seed: int
    write_docs: bool


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages sent over HTTP")
    parser.add_argument("--pure", type=int, default=None, help="default 2 x messages")
    parser.add_argument("--stored", type=int, default=None, help="default messages / 2")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--write-docs", action="store_true", help=f"write {DOCS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    pure = args.pure if args.pure is not None else 2 * args.messages
    stored = args.stored if args.stored is not None else max(1, args.messages // 2)
    return Options(
        args.messages, pure, stored, args.concurrency, backends, args.seed, args.write_docs
    )


def bench_backend(
    backend: Backend, options: Options, parts: Parts, inputs: Inputs, report: Report, workdir: Path
) -> None:
    say(f"{backend.name}: stored path, {options.stored} messages …")
    stored_url = backend.make_url("bench_stored")
    report.rows.append(bench_stored(stored_url, backend.name, parts, inputs, options.stored))
    url = backend.make_url("bench_http")
    key = prepare_database(url)
    say(f"{backend.name}: HTTP, {options.messages} messages at concurrency {options.concurrency} …")
    with uvicorn_server(url, workdir) as server:
        try:
            report.rows.append(
                bench_http(server, key, backend.name, inputs, options.messages, options.concurrency)
            )
            report.checks.append(check_idempotency(server, key, url, backend.name))
        finally:
            note_server_log(server, backend.name, report)


def note_server_log(server: Server, backend: str, report: Report) -> None:
    log = server.log().strip()
    if log:
        report.notes.append(f"uvicorn log ({backend}):\n{log}")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_benchmarks(options: Options, report_versions: list[str]) -> Report:
    inputs = Inputs.load(options.seed)
    parts = load_parts(Settings())
    say(f"pure path, {options.pure} turns …")
    rows = [bench_pure(parts, inputs, options.pure)]
    report = Report(machine="", settings=describe_options(options), rows=rows)
    with tempfile.TemporaryDirectory(prefix="relaydesk-bench-") as temp:
        workdir = Path(temp)
        for name in options.backends:
            with open_backend(name, workdir) as backend:
                if isinstance(backend, str):
                    say(backend)
                    report.notes.append(backend)
                    continue
                report_versions.append(backend.version)
                bench_backend(backend, options, parts, inputs, report, workdir)
    return report


@contextlib.contextmanager
def open_backend(name: str, workdir: Path) -> Iterator[Backend | str]:
    if name == "sqlite":
        yield sqlite_backend(workdir)
    else:
        with postgres_backend() as postgres:
            yield postgres


def describe_options(options: Options) -> str:
    return (
        f"{options.pure:,} pure turns; {options.stored:,} stored messages (sequential); "
        f"{options.messages:,} HTTP messages at concurrency {options.concurrency} "
        f"(one uvicorn worker); {CUSTOMERS} customers; seed {options.seed}"
    )


def render_text(report: Report) -> str:
    parts = [f"Machine: {report.machine}", f"Run: {report.settings}", "", text_table(report.rows)]
    parts += ["", *(describe_check(check) for check in report.checks)]
    parts += [failure_lines(row) for row in report.rows if row.failures]
    parts += ["", *report.notes] if report.notes else []
    return "\n".join(parts)


def failure_lines(row: Row) -> str:
    lines = [f"{row.failures} failed requests ({row.backend}):"]
    lines += [f"  {count} x {detail}" for detail, count in row.failure_detail.most_common(10)]
    return "\n".join(lines)


def render_markdown(report: Report, date: str) -> str:
    checks = "\n".join(f"- {describe_check(check)}" for check in report.checks)
    failures = "\n\n".join(f"```\n{failure_lines(r)}\n```" for r in report.rows if r.failures)
    notes = "\n\n".join(f"```\n{note}\n```" for note in report.notes)
    return (
        DOCS_TEMPLATE.format(
            date=date,
            machine=report.machine,
            settings=report.settings,
            table=markdown_table(report.rows),
            checks=checks or "- (no HTTP backend ran)",
            extra="\n\n".join(part for part in (failures, notes) if part),
        ).rstrip()
        + "\n"
    )


DOCS_TEMPLATE = """\
# Benchmarks

How fast one customer message goes through Relaydesk, measured by `bench/message_path.py`:

1. **pure path** — `relaydesk.pipeline.run` on a `Turn` (signals → AI attempt → policy →
   reply or handoff), in process, no database. Texts are the demo sample messages, cycled.
2. **stored** — `handle_message` in process, one message after another: store the message,
   run the path, record the decision (two write transactions and the reads in between).
3. **HTTP** — `POST /v1/messages` against a real `uvicorn` server in a subprocess, from
   concurrent clients (httpx, asyncio) on the same machine, each message with its own
   `external_id` and one of 50 customers. Every response must be `201`; any other answer is
   counted under *errors*. Latency is per request as the client sees it. Afterwards 50
   concurrent requests with one `Idempotency-Key` must store exactly one message.

SQLite runs on a temporary file; PostgreSQL on a throwaway local server started by
`tests/support/postgres.py` (fsync off — a best case for writes). Client and server share
the machine's CPUs, so the HTTP numbers are a floor, not a capacity plan.

Reproduce with `make bench`, which runs `python bench/message_path.py --write-docs` and
rewrites this page. Options: `--messages N --concurrency C --backends sqlite,postgresql
--seed S`.

## What the numbers taught us

- **SQLite writers queue in process.** SQLite admits one writer at a time, and a writer that
  waits on `BEGIN IMMEDIATE` sleeps in SQLite's busy handler with growing back-off, so some
  requests waited again and again. With that, HTTP on SQLite at c=8 measured p50 57 ms but
  p99 841 ms (max 2.1 s). Writers in one process now queue on a lock (`relaydesk/db.py`),
  and the next one wakes as soon as the previous one commits: p99 ≈ 165 ms, at the same
  throughput.
- **This 2-core machine is CPU-bound.** More concurrency adds latency, not throughput
  (SQLite at c=1/2/16 gave 66/69/65 msg/s). An HTTP request costs ~14 ms at c=1 against
  5-7 ms for the same work in process, so the HTTP layer about doubles the cost of a message.
- **PostgreSQL is ~2x slower per message on one box**: socket round trips, and the server
  processes share the same two cores. It is the database for scaling out to several API
  workers and machines, not for speed on one machine.

## Results ({date})

Machine: {machine}

Run: {settings}

{table}

Idempotency:

{checks}

{extra}
"""


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    versions: list[str] = []
    report = run_benchmarks(options, versions)
    report.machine = machine_facts(versions)
    print(render_text(report))
    if options.write_docs:
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        DOCS.write_text(render_markdown(report, date))
        say(f"wrote {DOCS}")
    failed = any(row.failures for row in report.rows) or not all(c.ok for c in report.checks)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
