"""Benchmark of the human queue: claims per second with several worker processes.

    python bench/queue_claims.py [--conversations N] [--backends sqlite,postgresql] [--write-docs]

Each run fills a fresh database with N conversations waiting for the same team, then starts P
spawned worker processes (own engine, own agent of large capacity) that call ``claim_next``
until the queue is empty. Reported: claims/s over the wall time from the first worker's
start signal to the last worker's exit, the median claim latency, and a check that every
conversation was claimed exactly once with unique fencing tokens. PostgreSQL: 1, 4 and 8
processes; SQLite (a file): 1 and 4.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as EventType

from sqlalchemy import func, select

from relaydesk.db import Database
from relaydesk.queue.claims import claim_next
from relaydesk.queue.models import Claim

# isort: split
# Sibling modules: run as ``python bench/queue_claims.py``, the script's directory is on sys.path.
from report import DOCS, machine_facts, replace_section
from servers import Backend, each_backend, load_support

SECTION = "queue"
PROCESSES = {"postgresql": (1, 4, 8), "sqlite": (1, 4)}


@dataclass
class Result:
    backend: str
    processes: int
    claims: int
    seconds: float
    p50: float
    ok: bool

    @property
    def rate(self) -> float:
        return self.claims / self.seconds if self.seconds else 0.0


def worker(url: str, agent_id: str, go: EventType, latencies: multiprocessing.Queue[float]) -> None:
    database = Database(url, pool_size=1)
    mine: list[float] = []
    go.wait()
    while True:
        started = time.perf_counter()
        if claim_next(database, agent_id) is None:
            break
        mine.append(time.perf_counter() - started)
    latencies.put(statistics.median(mine) if mine else 0.0)
    database.dispose()


def run(backend: Backend, processes: int, conversations: int) -> Result:
    url = backend.make_url(f"queue_{processes}_{int(time.time() * 1000) % 10**8}")
    database = Database(url)
    database.upgrade()
    agents = load_support("queue").fill_queue(database, conversations, processes)
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    latencies: multiprocessing.Queue[float] = context.Queue()
    workers = [
        context.Process(target=worker, args=(database.url, agent, go, latencies))
        for agent in agents
    ]
    for process in workers:
        process.start()
    time.sleep(1.0 + 0.3 * processes)  # let every worker import and connect before the start
    started = time.perf_counter()
    go.set()
    medians = [latencies.get(timeout=600) for _ in workers]
    for process in workers:
        process.join()
    seconds = time.perf_counter() - started
    with database.read() as session:
        claims = session.scalar(select(func.count()).select_from(Claim)) or 0
        distinct = session.scalar(select(func.count(func.distinct(Claim.conversation_id)))) or 0
        tokens = session.scalar(select(func.count(func.distinct(Claim.fencing_token)))) or 0
    database.dispose()
    ok = claims == distinct == tokens == conversations
    return Result(backend.name, processes, claims, seconds, statistics.median(medians), ok)


def text_table(results: list[Result]) -> str:
    header = f"{'backend':<11} {'processes':>9} {'claims':>7} {'claims/s':>9} {'p50':>8}  check"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.backend:<11} {r.processes:>9} {r.claims:>7,} {r.rate:>9,.0f} "
            f"{r.p50 * 1e3:>6.1f}ms  {'OK' if r.ok else 'FAILED'}"
        )
    return "\n".join(lines)


def markdown(results: list[Result], machine: str, date: str, conversations: int) -> str:
    rows = "\n".join(
        f"| {r.backend} | {r.processes} | {r.claims:,} | {r.rate:,.0f} | {r.p50 * 1e3:.1f} ms "
        f"| {'OK' if r.ok else 'FAILED'} |"
        for r in results
    )
    return f"""\
## Human queue: claims per second ({date})

`bench/queue_claims.py`: {conversations:,} conversations waiting for one team; P spawned
worker processes, each with its own engine and agent, call `claim_next` until the queue is
empty. A claim is one write transaction: lock the agent, pick the top candidate (PostgreSQL:
`FOR UPDATE SKIP LOCKED`), take a fencing token from the single `queue_fencing` row, insert
the claim and two events. *check*: every conversation claimed once, tokens unique.

Machine: {machine}

| backend | processes | claims | claims/s | p50 per claim (median over workers) | check |
|---|--:|--:|--:|--:|---|
{rows}

Every claim in the system takes the fencing row's lock until it commits, and on SQLite every
claim is a write transaction, so both backends serialise claims; more processes add
overlap of the reads and the round trips, not parallel commits. Each claim also sorts all
waiting candidates (priority from the latest handoff event), so its cost grows with the
queue's length.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args(argv)
    results: list[Result] = []
    versions: list[str] = []
    for backend in each_backend(args.backends, "relaydesk-bench-queue-"):
        versions.append(backend.version)
        for processes in PROCESSES[backend.name]:
            print(f"{backend.name}: {processes} processes …", file=sys.stderr, flush=True)
            results.append(run(backend, processes, args.conversations))
    print(text_table(results))
    if args.write_docs:
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        section = markdown(results, machine_facts(versions), date, args.conversations)
        DOCS.write_text(replace_section(DOCS.read_text(), SECTION, section))
        print(f"wrote {DOCS}", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
