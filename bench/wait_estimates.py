"""Benchmark of reading the live queue: wait estimates (every message) and the inbox.

    python bench/wait_estimates.py [--conversations N] [--backends sqlite,postgresql] [--write-docs]

A fresh database gets N conversations waiting for one team, a handoff event each, 50 agents,
and 500 claims already released (the handle-time sample). Then, on one connection:
``wait_estimates`` for the demo teams (what building every message's turn now costs) and
``inbox`` over all teams (what a workspace poll costs), each timed over 200 calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import insert, update

from relaydesk.conversations.models import Event, EventKind, Source
from relaydesk.db import Database, utcnow
from relaydesk.queue.claims import claim_next, release
from relaydesk.queue.inbox import WAITING_SHOWN, inbox
from relaydesk.queue.models import Agent
from relaydesk.queue.teams import load_teams
from relaydesk.queue.wait import wait_estimates
from relaydesk.settings import DEMO_DIR

# isort: split
from report import DOCS, machine_facts, replace_section
from servers import Backend, each_backend, load_support

SECTION = "wait"
CALLS = 200
AGENTS = 50
CAPACITY = 3
RELEASED = 500


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def prepare(backend: Backend, conversations: int) -> Database:
    database = Database(backend.make_url(f"wait_{int(time.time() * 1000) % 10**8}"))
    database.upgrade()
    agents = load_support("queue").fill_queue(database, conversations + RELEASED, AGENTS)
    with database.write() as session:  # three chats at once each, as in a real team
        session.execute(update(Agent).values(capacity=CAPACITY))
    now = utcnow()
    with database.write() as session:
        rows = [
            {
                "conversation_id": f"conv-{i:06d}",
                "kind": EventKind.HANDOFF,
                "source": Source.AI_AGENT,
                "payload": {"team": "frontline", "priority": "normal", "ask": "help"},
                "created_at": now,
            }
            for i in range(conversations + RELEASED)
        ]
        session.execute(insert(Event), rows)
    for number in range(RELEASED):
        got = claim_next(database, agents[number % AGENTS])
        assert got is not None
        release(database, got.conversation_id, got.fencing_token)
    return database


def timed(call: object, calls: int) -> list[float]:
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        seconds.append(time.perf_counter() - started)
    return seconds


def run(backend: Backend, conversations: int) -> dict[str, list[float]]:
    database = prepare(backend, conversations)
    teams = load_teams(DEMO_DIR / "teams.yaml")
    now = datetime.now(UTC)
    results = {}
    with database.read() as session:
        results["wait_estimates"] = timed(lambda: wait_estimates(session, teams, [], now), CALLS)
        rows = inbox(session, teams)
        assert len(rows) == WAITING_SHOWN  # the next 200 waiting; nobody is assigned
        results["inbox"] = timed(lambda: inbox(session, teams), CALLS // 10)
    database.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args(argv)
    lines: list[str] = []
    versions: list[str] = []
    for backend in each_backend(args.backends, "relaydesk-bench-wait-"):
        versions.append(backend.version)
        print(f"{backend.name} …", file=sys.stderr, flush=True)
        for what, seconds in run(backend, args.conversations).items():
            p50 = statistics.median(seconds) * 1000
            p99 = percentile(seconds, 99) * 1000
            lines.append(f"| {backend.name} | `{what}` | {p50:.2f} ms | {p99:.2f} ms |")
    table = "| database | call | p50 | p99 |\n| --- | --- | --- | --- |\n" + "\n".join(lines)
    print(table)
    if args.write_docs:
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        waiting = args.conversations
        section = (
            f"## Reading the live queue ({date})\n\n"
            f"`bench/wait_estimates.py`: {waiting:,} conversations waiting for one team, "
            f"{AGENTS} agents (3 chats each), {RELEASED} released claims. "
            "`wait_estimates` runs for every message (its turn carries the wait for each team, "
            "for the handoff message); "
            f"`inbox` lists the next {WAITING_SHOWN} of the {waiting + RELEASED:,} waiting "
            "conversations with their SLA timers, plus every owned one (what each workspace "
            "poll, every 2 s, reads).\n\n"
            f"{table}\n\n{machine_facts(versions)}\n"
        )
        DOCS.write_text(replace_section(DOCS.read_text(), SECTION, section))
        print(f"wrote {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
