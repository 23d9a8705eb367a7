"""Replay: what would a candidate policy have done to past traffic?

Every stored decision record holds the facts its policy saw, so a candidate can be evaluated
on exactly the same inputs, without re-running signals or the AI. ``replay`` compares the
candidate's route and team with the stored ones, record by record:

    unchanged      same route and team
    AI → person    the AI kept it (ai_reply, ai_reply_flagged, ask_clarifying); now a person
                   takes it (handoff, require_approval)
    person → AI    the reverse
    other          same side, a different route or team

and predicts the human workload (decisions that go to a person) before and after, overall
and per team. Large histories are split into seq ranges and replayed by worker processes;
each returns a partial tally that the parent merges.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import Table, func, select

from relaydesk.db import Database
from relaydesk.pipeline import AI_ROUTES
from relaydesk.policy.compile import Policy, compile_policy
from relaydesk.policy.decision import Decision, Route
from relaydesk.policy.evaluate import decide, fail_safe_decision
from relaydesk.policy.models import DecisionRecord

CHUNK = 25_000  # seq values per task: small enough for steady progress, large to amortise
FETCH = 5_000  # rows per database round trip
TEXT_CHARS = 120
FAIL_SAFE = "fail safe"  # the description fail_safe_decision gives its matched rule
NO_TEAM = "(no team)"
PERSON_ROUTES = frozenset({Route.HANDOFF.value, Route.REQUIRE_APPROVAL.value})

_TABLE: Table = DecisionRecord.__table__  # type: ignore[assignment]


class ChangeKind(StrEnum):
    AI_TO_PERSON = "ai_to_person"
    PERSON_TO_AI = "person_to_ai"
    OTHER = "other"  # same side, a different route or team


# --- the report ---------------------------------------------------------------------------


class Changes(BaseModel):
    total: int = 0
    unchanged: int = 0
    ai_to_person: int = 0
    person_to_ai: int = 0
    other: int = 0

    @property
    def changed(self) -> int:
        return self.total - self.unchanged


class Workload(BaseModel):
    """Decisions that go to a person (handoff or require_approval), before and after."""

    before: int
    after: int
    delta: int
    percent: float | None  # None when there were none before

    @classmethod
    def of(cls, before: int, after: int) -> Workload:
        percent = round(100 * (after - before) / before, 1) if before else None
        return cls(before=before, after=after, delta=after - before, percent=percent)


class Routed(BaseModel):
    route: str
    team: str | None
    rule: str  # the rule that decided (the first matched)
    reason: str | None = None


class Example(BaseModel):
    seq: int
    message_id: int
    conversation_id: str
    category: str
    text: str  # the message, cut to 120 characters
    before: Routed
    after: Routed


class CandidateRef(BaseModel):
    name: str
    version: str
    hash: str


class ReplayReport(BaseModel):
    candidate: CandidateRef
    since: datetime | None
    records: int
    overall: Changes
    categories: dict[str, Changes]  # by stored category, largest first
    workload: Workload
    workload_by_team: dict[str, Workload]
    fail_safe: int  # candidate decisions where a rule errored (a person takes over)
    fail_safe_before: int  # the same, among the stored decisions
    examples: dict[ChangeKind, list[Example]]  # the first ones by seq, up to ``examples`` each


# --- tallying -----------------------------------------------------------------------------

# Positions in a category's counts list: a list, not a model, because it is bumped per record.
_TOTAL, _UNCHANGED, _A2P, _P2A, _OTHER = range(5)
_KIND_INDEX = {ChangeKind.AI_TO_PERSON: _A2P, ChangeKind.PERSON_TO_AI: _P2A,
               ChangeKind.OTHER: _OTHER}  # fmt: skip


@dataclass
class _Tally:
    """A partial result: what one chunk contributes. Plain values, so it pickles cheaply."""

    records: int = 0
    categories: dict[str, list[int]] = field(default_factory=dict)
    before_teams: Counter[str] = field(default_factory=Counter)
    after_teams: Counter[str] = field(default_factory=Counter)
    fail_safe: int = 0
    fail_safe_before: int = 0
    examples: dict[ChangeKind, list[Example]] = field(
        default_factory=lambda: {kind: [] for kind in ChangeKind}
    )

    def merge(self, other: _Tally, keep: int) -> None:
        self.records += other.records
        for category, counts in other.categories.items():
            mine = self.categories.setdefault(category, [0] * 5)
            for index, value in enumerate(counts):
                mine[index] += value
        self.before_teams.update(other.before_teams)
        self.after_teams.update(other.after_teams)
        self.fail_safe += other.fail_safe
        self.fail_safe_before += other.fail_safe_before
        for kind, found in other.examples.items():
            # Chunks finish in any order; keeping the lowest seqs makes the report the same
            # whatever the number of workers.
            merged = sorted([*self.examples[kind], *found], key=lambda e: e.seq)
            self.examples[kind] = merged[:keep]


def replay_decision(facts: dict[str, Any], policy: Policy) -> Decision:
    """The candidate's decision on stored facts, with the message path's own guard.

    ``pipeline.run`` never lets an AI route stand when the AI had no answer; a replay that
    skipped that would predict replies that could not be sent.
    """
    decision = decide(facts, policy)
    if decision.route in AI_ROUTES:
        attempt = facts.get("attempt")
        if not (isinstance(attempt, dict) and attempt.get("has_answer")):
            error = ValueError(f"route {decision.route} chosen but the AI has no answer")
            return fail_safe_decision(policy, decision.matched_rules[0].id, error)
    return decision


def _first_rule(decision: dict[str, Any]) -> dict[str, Any]:
    rules = decision.get("matched_rules") or [{}]
    first: dict[str, Any] = rules[0]
    return first


def _example(row: Sequence[Any], body: dict[str, Any], after: Decision) -> Example:
    seq, message_id, conversation_id, route, team, category, _ = row
    text = body.get("facts", {}).get("message", {}).get("text") or ""
    first = after.matched_rules[0] if after.matched_rules else None
    return Example(
        seq=seq,
        message_id=message_id,
        conversation_id=conversation_id,
        category=category,
        text=text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…",
        before=Routed(route=route, team=team, rule=str(_first_rule(body["decision"]).get("id"))),
        after=Routed(
            route=str(after.route),
            team=after.team,
            rule=first.id if first else "",
            reason=first.reason if first else None,
        ),
    )


def _tally(rows: Iterable[Sequence[Any]], policy: Policy, keep: int) -> _Tally:
    tally = _Tally()
    categories, examples = tally.categories, tally.examples
    before_teams, after_teams = tally.before_teams, tally.after_teams
    loads, person = orjson.loads, PERSON_ROUTES
    for row in rows:
        route, team, category, raw = row[3], row[4], row[5], row[6]
        body = loads(raw)
        after = replay_decision(body["facts"], policy)
        counts = categories.get(category)
        if counts is None:
            counts = categories[category] = [0] * 5
        counts[_TOTAL] += 1
        before_person = route in person
        after_route, after_team = after.route, after.team
        after_person = after_route in person
        if before_person:
            before_teams[team or NO_TEAM] += 1
        if after_person:
            after_teams[after_team or NO_TEAM] += 1
        if after.matched_rules[0].description == FAIL_SAFE:
            tally.fail_safe += 1
        if _first_rule(body["decision"]).get("description") == FAIL_SAFE:
            tally.fail_safe_before += 1
        if after_route == route and after_team == team:
            counts[_UNCHANGED] += 1
            continue
        if before_person == after_person:
            kind = ChangeKind.OTHER
        else:
            kind = ChangeKind.AI_TO_PERSON if after_person else ChangeKind.PERSON_TO_AI
        counts[_KIND_INDEX[kind]] += 1
        if len(examples[kind]) < keep:
            examples[kind].append(_example(row, body, after))
    tally.records = sum(counts[_TOTAL] for counts in categories.values())
    return tally


# --- reading ------------------------------------------------------------------------------


def _read_chunk(
    database: Database, low: int, high: int, since: datetime | None
) -> Iterator[Sequence[Any]]:
    """Records with low <= seq < high: only the columns replay needs, streamed in batches."""
    c = _TABLE.c
    query = (
        select(c.seq, c.message_id, c.conversation_id, c.route, c.team, c.category, c.body)
        .where(c.seq >= low, c.seq < high)
        .order_by(c.seq)
    )
    if since is not None:
        query = query.where(c.created_at >= since)
    # Core rows, not ORM objects; read_only makes SQLite begin deferred (see relaydesk.db).
    engine = database.engine.execution_options(read_only=True)
    with engine.connect() as connection, connection.begin():
        result = connection.execution_options(yield_per=FETCH).execute(query)
        for batch in result.partitions():
            yield from batch


def _seq_range(database: Database, since: datetime | None) -> tuple[int, int] | None:
    c = _TABLE.c
    query = select(func.min(c.seq), func.max(c.seq))
    if since is not None:
        query = query.where(c.created_at >= since)
    with database.read() as session:
        low, high = session.execute(query).one()
    return None if low is None else (int(low), int(high))


def _chunks(low: int, high: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, high + 1)) for start in range(low, high + 1, size)]


# --- workers ------------------------------------------------------------------------------


@dataclass
class _Job:
    database: Database
    policy: Policy
    since: datetime | None
    keep: int

    def run(self, low: int, high: int) -> _Tally:
        return _tally(_read_chunk(self.database, low, high, self.since), self.policy, self.keep)


_job: _Job | None = None  # one per worker process, set by _start_worker


def _start_worker(url: str, source: str, since: datetime | None, keep: int) -> None:
    # The engine and the compiled policy are made here, in the worker: a connection pool
    # or a CEL program inherited from the parent is not safe to use in a child.
    global _job
    _job = _Job(Database(url, pool_size=1), compile_policy(source), since, keep)


def _worker_chunk(low: int, high: int) -> _Tally:
    assert _job is not None, "the worker was not started"
    return _job.run(low, high)


# --- the entry point ----------------------------------------------------------------------


def replay(
    database_url: str,
    candidate_source: str,
    *,
    since: datetime | None = None,
    workers: int = 2,
    examples: int = 3,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Re-decide every stored decision (created at or after ``since``) under the candidate.

    Raises ``PolicyInvalid`` for a bad candidate before reading anything. ``progress`` gets
    the number of records replayed so far after each chunk. ``workers=1`` (or a history of
    one chunk) runs in process; otherwise worker processes are spawned, so a script that
    calls this needs the usual ``if __name__ == "__main__":`` guard.
    """
    policy = compile_policy(candidate_source)
    if since is not None and since.tzinfo is None:
        raise ValueError("since must be timezone-aware (UTC)")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    total = _Tally()
    database = Database(database_url, pool_size=1)
    try:
        span = _seq_range(database, since)
        chunks = _chunks(*span, CHUNK) if span is not None else []
        if workers == 1 or len(chunks) <= 1:
            job = _Job(database, policy, since, examples)
            done = (job.run(low, high) for low, high in chunks)
            _merge_all(total, done, examples, progress)
            return _report(total, policy, since)
    finally:
        database.dispose()
    # spawn, not fork: a forked child would share the parent's threads, locks and sockets.
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(database_url, candidate_source, since, examples),
    ) as pool:
        futures = [pool.submit(_worker_chunk, low, high) for low, high in chunks]
        try:
            _merge_all(total, (f.result() for f in as_completed(futures)), examples, progress)
        except BaseException:
            # Stop at the first failure (or Ctrl-C) instead of replaying the rest for nothing.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return _report(total, policy, since)


def _merge_all(
    total: _Tally, parts: Iterable[_Tally], keep: int, progress: Callable[[int], None] | None
) -> None:
    for part in parts:
        total.merge(part, keep)
        if progress is not None:
            progress(total.records)


def _report(tally: _Tally, policy: Policy, since: datetime | None) -> ReplayReport:
    def changes(counts: list[int]) -> Changes:
        return Changes(
            total=counts[_TOTAL],
            unchanged=counts[_UNCHANGED],
            ai_to_person=counts[_A2P],
            person_to_ai=counts[_P2A],
            other=counts[_OTHER],
        )

    overall = [sum(column) for column in zip(*tally.categories.values(), strict=True)]
    by_size = sorted(tally.categories.items(), key=lambda item: (-item[1][_TOTAL], item[0]))
    teams = sorted(set(tally.before_teams) | set(tally.after_teams))
    return ReplayReport(
        candidate=CandidateRef(name=policy.name, version=policy.version, hash=policy.hash),
        since=since,
        records=tally.records,
        overall=changes(overall or [0] * 5),
        categories={category: changes(counts) for category, counts in by_size},
        workload=Workload.of(tally.before_teams.total(), tally.after_teams.total()),
        workload_by_team={
            team: Workload.of(tally.before_teams[team], tally.after_teams[team]) for team in teams
        },
        fail_safe=tally.fail_safe,
        fail_safe_before=tally.fail_safe_before,
        examples=tally.examples,
    )


# --- for people ---------------------------------------------------------------------------

KIND_TITLES = {
    ChangeKind.AI_TO_PERSON: "AI → person",
    ChangeKind.PERSON_TO_AI: "person → AI",
    ChangeKind.OTHER: "other changes",
}


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(line: tuple[str, ...]) -> str:
        cells = [line[0].ljust(widths[0])]
        cells += [value.rjust(width) for value, width in zip(line[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    return [fmt(header), "  ".join("-" * width for width in widths), *map(fmt, rows)]


def _signed(value: int) -> str:
    return f"{value:+,}" if value else "0"


def _percent(workload: Workload) -> str:
    return "—" if workload.percent is None else f"{workload.percent:+.1f}%"


def _routed(routed: Routed) -> str:
    where = routed.route + (f"/{routed.team}" if routed.team else "")
    return f"{where} ({routed.rule})"


def format_report(report: ReplayReport) -> str:
    candidate = report.candidate
    since = f" since {report.since.isoformat()}" if report.since else ""
    lines = [
        f"Replay of policy {candidate.name!r} version {candidate.version!r} "
        f"({candidate.hash[:12]}) over {report.records:,} stored decisions{since}",
        "",
    ]

    def row(name: str, c: Changes) -> tuple[str, ...]:
        counts = (c.total, c.unchanged, c.ai_to_person, c.person_to_ai, c.other)
        return (name, *(f"{n:,}" for n in counts))

    header = ("category", "total", "unchanged", "AI→person", "person→AI", "other")
    rows = [row(name, changes) for name, changes in report.categories.items()]
    lines += _table(header, [*rows, row("all", report.overall)])
    work = report.workload
    lines += [
        "",
        f"Human workload (decisions that go to a person): {work.before:,} → {work.after:,} "
        f"({_signed(work.delta)}, {_percent(work)})",
    ]
    if report.workload_by_team:
        team_rows = [
            (team, f"{w.before:,}", f"{w.after:,}", _signed(w.delta), _percent(w))
            for team, w in report.workload_by_team.items()
        ]
        lines += _table(("team", "before", "after", "delta", "change"), team_rows)
    lines += [
        "",
        f"Fail-safe (a rule errored, a person takes over): {report.fail_safe:,} under the "
        f"candidate, {report.fail_safe_before:,} as stored",
    ]
    for kind, title in KIND_TITLES.items():
        found = report.examples.get(kind, [])
        if not found:
            continue
        lines += ["", f"Examples, {title}:"]
        for example in found:
            lines += [
                f"  #{example.seq} message {example.message_id}, conversation "
                f"{example.conversation_id}, {example.category}",
                f"    {example.text!r}",
                f"    before: {_routed(example.before)}",
                f"    after:  {_routed(example.after)}: {example.after.reason or ''}".rstrip(),
            ]
    return "\n".join(lines)


__all__ = [
    "ChangeKind",
    "Changes",
    "Example",
    "ReplayReport",
    "Routed",
    "Workload",
    "format_report",
    "replay",
    "replay_decision",
]
