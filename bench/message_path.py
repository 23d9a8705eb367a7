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
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from relaydesk.conversations.schemas import CustomerIn, MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.conversations.turn import CustomerContext, Turn
from relaydesk.db import Database
from relaydesk.pipeline import Parts, run
from relaydesk.settings import DEMO_DIR, Settings
from relaydesk.startup import load_parts

# isort: split
# Sibling modules: run as ``python bench/message_path.py``, the script's directory is on sys.path.
from report import (
    IDEMPOTENT_REQUESTS,
    IdempotencyCheck,
    Report,
    Row,
    machine_facts,
    render_markdown,
    render_text,
)
from servers import ROOT, Backend, Server, open_backend, prepare_database, uvicorn_server

DOCS = ROOT / "docs" / "benchmarks.md"
CUSTOMERS = 50
WARMUP = 20
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

    def text(self, i: int) -> str:
        """The sample texts cycled, each made new by a case number: the process's embedder
        remembers the texts it has seen, and real customers rarely send the same words."""
        return f"(case {i}) {self.texts[i % len(self.texts)]}"

    def messages(self, count: int, prefix: str) -> list[MessageCreate]:
        """``count`` messages: texts cycled, customers drawn from the pool, unique ids."""
        rng = random.Random(f"{self.seed}-{prefix}")
        return [
            MessageCreate(
                channel="web",
                external_id=f"{prefix}-{i}",
                customer=CustomerIn(email=rng.choice(self.emails)),
                text=self.text(i),
            )
            for i in range(count)
        ]

    def turns(self, count: int) -> list[Turn]:
        rng = random.Random(f"{self.seed}-turns")
        return [
            Turn(
                message_id=i + 1,
                conversation_id=f"bench-{i}",
                text=self.text(i),
                channel="web",
                customer=CustomerContext(id=f"customer-{rng.randrange(CUSTOMERS)}"),
            )
            for i in range(count)
        ]


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


def describe_options(options: Options) -> str:
    return (
        f"{options.pure:,} pure turns; {options.stored:,} stored messages (sequential); "
        f"{options.messages:,} HTTP messages at concurrency {options.concurrency} "
        f"(one uvicorn worker); {CUSTOMERS} customers; seed {options.seed}"
    )


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
