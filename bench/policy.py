"""Benchmark of the routing policy: evaluation alone, and replay of a large decision history.

    python bench/policy.py [--quick] [--records N] [--db PATH] [--workers W]
                           [--evaluations N] [--seed S] [--write-docs]

1. evaluation  ``decide()`` on one core over a realistic mix of facts: the facts of the demo
               sample messages from the real path (``pipeline.run``), varied with a seeded RNG
               (category, confidences, signals, amounts). Requirement: >= 20,000 decisions/s.
2. replay      ``relaydesk.policy.replay`` of a candidate (refunds 0.8 → 0.6, orders 0.5 → 0.7)
               over N synthetic decision records in SQLite, with W worker processes.
               Requirement: 1,000,000 records in < 60 s on a 2-core machine.

The history is built once and cached at ``--db``: migrated with Alembic, then bulk-inserted
with the raw DBAPI in large transactions. Foreign keys are on (``relaydesk/db.py``), so every
record has its customer, conversation and ``message_in`` event; bodies are canonical JSON and
the hash chain is valid, as ``records.append_record`` would have written them.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml

from relaydesk.conversations.turn import CustomerContext, Turn
from relaydesk.db import Database
from relaydesk.pipeline import Parts, run
from relaydesk.policy import DEFAULT_POLICY_FILE, Policy, decide
from relaydesk.policy.records import COLUMNS, GENESIS, canonical, chain_hash
from relaydesk.policy.replay import ReplayReport, format_report, replay
from relaydesk.settings import DEMO_DIR, Settings
from relaydesk.startup import load_parts

# isort: split
# A sibling module: run as ``python bench/policy.py``, the script's directory is on sys.path.
from report import DOCS, machine_facts, replace_section

SECTION = "policy"  # docs/benchmarks.md: between <!-- policy:start --> and <!-- policy:end -->
REQUIRED_RATE = 20_000  # decisions/s, one core
REQUIRED_SECONDS = 60.0  # replay of 1,000,000 records
POOL = 10_000  # distinct varied facts; evaluations and records cycle through them
BATCH = 50_000  # rows per build transaction
CUSTOMERS = 20_000
PER_CONVERSATION = 4  # messages per conversation
HISTORY_DAYS = 90
CANDIDATE_THRESHOLDS = {"refunds": 0.6, "orders": 0.7}

# --- facts --------------------------------------------------------------------------------

DETECTORS = {  # signal: (probability, evidence)
    "human_request": (0.05, "talk to a person"),
    "manager_request": (0.02, "your manager"),
    "legal_threat": (0.01, "my lawyer"),
    "urgency": (0.10, "urgent"),
    "frustration": (0.08, "ridiculous"),
}
CATEGORY_WEIGHTS = {"orders": 25, "shipping": 20, "returns": 12, "refunds": 10, "products": 10,
                    "account": 8, "billing": 6, "subscription": 4, "account_closure": 2,
                    "fraud": 1, "unknown": 6}  # fmt: skip
MONEY = ("refunds", "returns", "billing")


def sample_facts(parts: Parts) -> list[dict[str, Any]]:
    """The facts of each demo sample message, as the real message path builds them."""
    lines = (DEMO_DIR / "sample_messages.jsonl").read_text().splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    received = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    return [
        run(
            Turn(
                message_id=i + 1,
                conversation_id=f"bench-{i}",
                text=text,
                channel="web",
                customer=CustomerContext(id=f"customer-{i}"),
                received_at=received,
            ),
            parts,
        ).facts
        for i, text in enumerate(texts)
    ]


def vary(base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    facts: dict[str, Any] = orjson.loads(orjson.dumps(base))  # a deep copy
    signals, attempt = facts["signals"], facts["attempt"]
    names = list(CATEGORY_WEIGHTS)
    category = rng.choices(names, weights=[CATEGORY_WEIGHTS[n] for n in names])[0]
    signals["category"] = {"name": category, "confidence": round(rng.uniform(0.3, 1.0), 3)}
    attempt["has_answer"] = rng.random() < 0.85
    attempt["confidence"] = round(rng.betavariate(5, 3), 3) if attempt["has_answer"] else 0.0
    for name, (chance, phrase) in DETECTORS.items():
        hit = rng.random() < chance
        score = round(rng.uniform(0.6, 1.0), 2) if hit else 0.0
        signals[name] = {"value": hit, "score": score, "evidence": [phrase] if hit else []}
    signals["repeat_ask"] = {"count": rng.choices((0, 1, 2, 3), weights=(80, 12, 6, 2))[0]}
    amount = round(rng.uniform(5, 400), 2) if category in MONEY and rng.random() < 0.4 else 0.0
    signals["amount"] = {"value": amount, "evidence": [f"${amount:.2f}"] if amount else []}
    facts["conversation"]["handed_over"] = rng.random() < 0.05
    facts["context"] = {"hour": rng.randrange(24), "weekday": rng.choice(WEEKDAYS)}
    return facts


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def facts_pool(parts: Parts, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    bases = sample_facts(parts)
    return [vary(rng.choice(bases), rng) for _ in range(POOL)]


# --- 1. evaluation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    count: int
    seconds: float
    p50_us: float
    p99_us: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def percentile(ordered: list[int], p: float) -> int:
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def bench_evaluation(policy: Policy, pool: list[dict[str, Any]], count: int) -> Evaluation:
    for facts in pool[:1000]:  # warm up
        decide(facts, policy)
    clock = time.perf_counter_ns
    latencies = [0] * count
    size = len(pool)
    started = clock()
    for i in range(count):
        begin = clock()
        decide(pool[i % size], policy)
        latencies[i] = clock() - begin
    seconds = (clock() - started) / 1e9
    latencies.sort()
    return Evaluation(
        count, seconds, percentile(latencies, 50) / 1e3, percentile(latencies, 99) / 1e3
    )


# --- 2. the history -----------------------------------------------------------------------


def existing_records(url: str) -> int | None:
    """Records in a finished build; None when there is none (the head moves last)."""
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            head = connection.exec_driver_sql("SELECT seq FROM decision_chain_head").scalar()
            top = connection.exec_driver_sql("SELECT max(seq) FROM decision_records").scalar()
        return int(head) if head is not None and head == top else None
    except Exception:  # no tables yet, or not a database
        return None
    finally:
        database.dispose()


def conversation_id(index: int) -> str:
    return str(uuid.UUID(int=index + 1))


def customer_id(index: int) -> str:
    return str(uuid.UUID(int=(1 << 64) + index + 1))


def stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite (naive, microseconds)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def build_history(
    url: str, records: int, policy: Policy, pool: list[dict[str, Any]], seed: int
) -> None:
    database = Database(url)
    try:
        database.upgrade()
        decisions = [decide(facts, policy).model_dump(mode="json") for facts in pool]
        connection = database.engine.raw_connection()
        try:
            insert_all(connection, records, policy, pool, decisions, seed)
        finally:
            connection.close()
    finally:
        database.dispose()


def insert_all(
    connection: Any,
    records: int,
    policy: Policy,
    pool: list[dict[str, Any]],
    decisions: list[dict[str, Any]],
    seed: int,
) -> None:
    # The connection is in autocommit (relaydesk.db); BEGIN/COMMIT make each batch one
    # transaction, which is what makes a bulk insert into SQLite fast.
    cursor = connection.cursor()
    first = datetime.now(UTC) - timedelta(days=HISTORY_DAYS)
    step = timedelta(days=HISTORY_DAYS) / records
    customers = min(CUSTOMERS, records)
    cursor.execute("BEGIN")
    cursor.executemany(
        "INSERT INTO customers (id, attributes, created_at, updated_at) VALUES (?, '{}', ?, ?)",
        [(customer_id(k), stamp(first), stamp(first)) for k in range(customers)],
    )
    cursor.execute("COMMIT")
    rng = random.Random(f"{seed}-history")
    prev_hash = GENESIS
    for low in range(1, records + 1, BATCH):
        high = min(low + BATCH, records + 1)
        conversations, events, rows = [], [], []
        for seq in range(low, high):
            index = (seq - 1) // PER_CONVERSATION
            conversation = conversation_id(index)
            moment = first + step * seq
            if (seq - 1) % PER_CONVERSATION == 0:
                customer = customer_id(index % customers)
                conversations.append((conversation, customer, stamp(moment), stamp(moment)))
            which = rng.randrange(len(pool))
            facts, decision = pool[which], decisions[which]
            events.append((seq, conversation, facts["message"]["text"], stamp(moment)))
            category = str(facts["signals"]["category"]["name"])
            values = dict.fromkeys(COLUMNS)
            values.update(seq=seq, message_id=seq, conversation_id=conversation,
                          created_at=moment.isoformat(timespec="microseconds"),
                          policy_name=policy.name, policy_version=policy.version,
                          policy_hash=policy.hash, route=decision["route"],
                          team=decision["team"], category=category)  # fmt: skip
            body = canonical({**values, "decision": decision, "facts": facts})
            record_hash = chain_hash(prev_hash, body)
            rows.append((seq, seq, conversation, stamp(moment), policy.name, policy.version,
                         policy.hash, decision["route"], decision["team"], category, body,
                         prev_hash, record_hash))  # fmt: skip
            prev_hash = record_hash
        cursor.execute("BEGIN")
        cursor.executemany(
            "INSERT INTO conversations (id, customer_id, channel, status, created_at, updated_at)"
            " VALUES (?, ?, 'web', 'open', ?, ?)",
            conversations,
        )
        cursor.executemany(
            "INSERT INTO events (id, conversation_id, kind, source, text, channel, payload,"
            " created_at) VALUES (?, ?, 'message_in', 'customer', ?, 'web', '{}', ?)",
            events,
        )
        cursor.executemany(
            "INSERT INTO decision_records (seq, message_id, conversation_id, created_at,"
            " policy_name, policy_version, policy_hash, arm, route, team, category, body,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if high > records:  # the head moves in the last batch: it marks a finished build
            cursor.execute(
                "UPDATE decision_chain_head SET seq = ?, hash = ?, updated_at = ? WHERE id = 1",
                (records, prev_hash, stamp(datetime.now(UTC))),
            )
        cursor.execute("COMMIT")
        say(f"  built {high - 1:,} / {records:,} records")
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cursor.close()


@dataclass(frozen=True)
class Build:
    seconds: float
    cached: bool  # the history was already there; ``seconds`` is from when it was built


def build_note(path: Path) -> Path:
    return path.with_name(path.name + ".build.json")


def prepare_history(
    path: Path, records: int, policy: Policy, pool: list[dict[str, Any]], seed: int
) -> Build:
    """Build the history at ``path`` unless a finished one is there."""
    url = f"sqlite:///{path}"
    note = build_note(path)
    if path.exists() and note.exists() and existing_records(url) == records:
        say(f"history: reusing {path} ({records:,} records)")
        return Build(json.loads(note.read_text())["seconds"], cached=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    say(f"history: building {records:,} records in {path} …")
    started = time.perf_counter()
    build_history(url, records, policy, pool, seed)
    seconds = time.perf_counter() - started
    note.write_text(json.dumps({"records": records, "seconds": seconds}))
    return Build(seconds, cached=False)


# --- 3. replay ----------------------------------------------------------------------------


def candidate_source() -> str:
    document: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_FILE.read_text())
    document["version"] = "bench-candidate"
    document["thresholds"]["categories"].update(CANDIDATE_THRESHOLDS)
    return yaml.safe_dump(document, sort_keys=False)


@dataclass(frozen=True)
class Replay:
    records: int
    workers: int
    seconds: float
    cpu_seconds: float  # this process and its workers: shows when other work took a core
    build: Build
    report: ReplayReport

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def bench_replay(url: str, workers: int, build: Build) -> Replay:
    def progress(done: int) -> None:
        say(f"  replayed {done:,}")

    started, cpu = time.perf_counter(), cpu_seconds()
    report = replay(url, candidate_source(), workers=workers, progress=progress)
    seconds = time.perf_counter() - started
    return Replay(report.records, workers, seconds, cpu_seconds() - cpu, build, report)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the replay's workers)."""
    usage = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    return sum(u.ru_utime + u.ru_stime for u in usage)


# --- output -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def render_text(evaluation: Evaluation, result: Replay) -> str:
    overall, work = result.report.overall, result.report.workload
    build = f"{result.build.seconds:.1f} s" + (" (cached)" if result.build.cached else "")
    lines = [
        f"evaluation: {evaluation.count:,} decide() calls in {evaluation.seconds:.2f} s, one core",
        f"  {evaluation.rate:,.0f} decisions/s, p50 {evaluation.p50_us:.1f} µs, "
        f"p99 {evaluation.p99_us:.1f} µs ({verdict(evaluation.rate >= REQUIRED_RATE)} "
        f">= {REQUIRED_RATE:,}/s)",
        f"replay: {result.records:,} records, {result.workers} workers, build {build}",
        f"  wall {result.seconds:.1f} s ({result.cpu_seconds:.1f} s CPU), "
        f"{result.rate:,.0f} records/s"
        + (
            f" ({verdict(result.seconds < REQUIRED_SECONDS)} < {REQUIRED_SECONDS:.0f} s)"
            if result.records >= 1_000_000
            else ""
        ),
        f"  unchanged {overall.unchanged:,}, AI→person {overall.ai_to_person:,}, "
        f"person→AI {overall.person_to_ai:,}, other {overall.other:,}; "
        f"handoffs {work.before:,} → {work.after:,}; fail-safe {result.report.fail_safe:,}",
    ]
    return "\n".join(lines)


def render_markdown(
    evaluation: Evaluation, result: Replay, policy: Policy, machine: str, date: str
) -> str:
    overall, work = result.report.overall, result.report.workload
    build = f"{result.build.seconds:.0f} s"
    thresholds = ", ".join(
        f"{name} {policy.threshold_for(name)} → {bar}" for name, bar in CANDIDATE_THRESHOLDS.items()
    )
    percent = f", {work.percent:+.1f}%" if work.percent is not None else ""
    rows = [
        (
            f"`decide()`, one core, {evaluation.count:,} calls",
            f"{evaluation.rate:,.0f} decisions/s; p50 {evaluation.p50_us:.1f} µs, "
            f"p99 {evaluation.p99_us:.1f} µs",
            f"≥ {REQUIRED_RATE:,}/s",
        ),
        (
            f"replay, {result.records:,} records, {result.workers} workers",
            f"{result.seconds:.1f} s wall, {result.cpu_seconds:.1f} s CPU "
            f"({result.rate:,.0f} records/s)",
            f"1M in < {REQUIRED_SECONDS:.0f} s",
        ),
        ("building the history (once, then cached)", build, "—"),
    ]
    table = "\n".join(
        ["| measurement | result | requirement |", "|---|---|---|"]
        + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    )
    return f"""\
## Policy evaluation and replay

Measured by `bench/policy.py`; reproduce with `python bench/policy.py --write-docs`, which
rewrites only this section (`--quick` for a small run).

- **Evaluation**: `decide()` alone, over {POOL:,} facts made by running the demo sample
  messages through the real path, then varying category, confidences, signals and amounts
  with a seeded RNG.
- **Replay**: `relaydesk.policy.replay` of a candidate over synthetic decision records in
  SQLite. The history is migrated with Alembic and bulk-inserted with foreign keys on:
  customers, conversations, `message_in` events, and records with canonical bodies and a
  valid hash chain.

Results ({date}). Machine: {machine}

{table}

What the replay found:

- candidate: {thresholds}
- changes: {overall.unchanged:,} unchanged, {overall.ai_to_person:,} AI → person, \
{overall.person_to_ai:,} person → AI, {overall.other:,} other
- decisions going to a person: {work.before:,} → {work.after:,} ({work.delta:+,}{percent})

Where a replayed record's time goes (cProfile, one worker): `decide()` most of it; reading
the row through SQLAlchemy Core and `orjson.loads` of its body nearly all the rest.
With both cores free, the two workers make wall time well under the CPU time (about
two thirds here); when it is close to the CPU time, something else was using a core.
"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- main ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    records: int
    evaluations: int
    workers: int
    db: Path
    seed: int
    write_docs: bool


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 records, 20,000 calls")
    parser.add_argument("--records", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--evaluations", type=int, default=None, help="default 200,000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", type=Path, default=None, help="the cached history (SQLite)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args(argv)
    records = args.records or (50_000 if args.quick else 1_000_000)
    evaluations = args.evaluations or (20_000 if args.quick else 200_000)
    db = args.db or Path(f"/tmp/relaydesk-bench-policy-{records}.db")
    return Options(records, evaluations, args.workers, db, args.seed, args.write_docs)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    parts = load_parts(Settings())
    pool = facts_pool(parts, options.seed)
    say(f"evaluation: {options.evaluations:,} decide() calls …")
    evaluation = bench_evaluation(parts.policy, pool, options.evaluations)
    build = prepare_history(options.db, options.records, parts.policy, pool, options.seed)
    say(f"replay: {options.records:,} records, {options.workers} workers …")
    result = bench_replay(f"sqlite:///{options.db}", options.workers, build)
    print(render_text(evaluation, result))
    print()
    print(format_report(result.report))
    if options.write_docs:
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        machine = machine_facts([f"SQLite {sqlite3.sqlite_version}"])
        section = render_markdown(evaluation, result, parts.policy, machine, date)
        DOCS.write_text(replace_section(DOCS.read_text(), SECTION, section))
        say(f"wrote {DOCS}")
    ok = evaluation.rate >= REQUIRED_RATE and (
        result.records < 1_000_000 or result.seconds < REQUIRED_SECONDS
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
