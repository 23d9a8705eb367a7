"""Verifying the decision chain: is every record still the one that was written?

``verify_chain`` walks the records in seq order, a batch at a time (memory stays flat at
millions of records), inside one read transaction (one snapshot, so concurrent appends do not
look like tampering), and names every problem with its seq:

    edited     a record's hash does not match its contents, a column disagrees with its body,
               or a record was rewritten and re-hashed (its successor no longer links to it)
    deleted    a gap in the seq numbers, or a chain that does not start at seq 1
    reordered  a record sits at another seq than the one it was written at
    truncated  the head says the chain is longer than it is
    head       records after the head: the head was rewound, or records were added without it
    anchor     the record at an anchor the operator saved earlier has another hash, or is gone

A truncation that also rewinds the head leaves a shorter, valid chain: only an anchor
(``chain_head`` saved somewhere else earlier, passed back as ``expect``) detects it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.db import Database
from relaydesk.policy.models import DecisionChainHead, DecisionRecord
from relaydesk.policy.records import GENESIS, HEAD_ID, chain_hash, column_values

ProblemKind = Literal["edited", "deleted", "reordered", "truncated", "head", "anchor"]
MAX_PROBLEMS = 100  # a wholesale rewrite would otherwise list every record


class Problem(BaseModel):
    seq: int
    kind: ProblemKind
    message: str


class AuditReport(BaseModel):
    ok: bool
    records_checked: int
    head_seq: int
    head_hash: str
    problems: list[Problem]
    problems_omitted: int = 0  # found beyond MAX_PROBLEMS

    def format(self) -> str:
        lines = [
            f"chain head: seq {self.head_seq}, hash {self.head_hash}",
            f"records checked: {self.records_checked}",
        ]
        if self.ok:
            lines.append("OK: every record is intact, in order, and the chain is complete")
            return "\n".join(lines)
        total = len(self.problems) + self.problems_omitted
        lines.append(f"FAILED: {total} problem{'s' if total != 1 else ''}")
        lines.extend(f"  seq {p.seq}: {p.kind}: {p.message}" for p in self.problems)
        if self.problems_omitted:
            lines.append(f"  ... and {self.problems_omitted} more")
        return "\n".join(lines)


def chain_head(db: Database) -> tuple[int, str]:
    """The chain's last (seq, hash): save it somewhere else to anchor a later ``verify_chain``."""
    with db.read() as session:
        head = _head(session)
        return head.seq, head.hash


def verify_chain(
    db: Database,
    expect: tuple[int, str] | None = None,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> AuditReport:
    """Check every record, the links between them, the head, and the anchor ``expect`` if given.

    ``progress`` is called after each batch with the number of records that batch checked.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with db.read() as session:
        if db.dialect == "postgresql":
            # One snapshot for the whole walk: under READ COMMITTED each batch would see the
            # appends committed since the previous one, and the head would not match.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        head = _head(session)
        walk = _Walk(expect)
        last_seq = 0
        while True:
            query = (
                select(DecisionRecord)
                .where(DecisionRecord.seq > last_seq)
                .order_by(DecisionRecord.seq)
                .limit(batch)
            )
            records = session.scalars(query).all()
            for record in records:
                walk.check(record)
            if progress is not None and records:
                progress(len(records))
            if len(records) < batch:
                break
            last_seq = records[-1].seq
            session.expunge_all()  # nothing is kept between batches
        walk.finish(head.seq, head.hash)
        return AuditReport(
            ok=not walk.problems,
            records_checked=walk.checked,
            head_seq=head.seq,
            head_hash=head.hash,
            problems=walk.problems,
            problems_omitted=walk.omitted,
        )


def _head(session: Session) -> DecisionChainHead:
    head = session.get(DecisionChainHead, HEAD_ID)
    if head is None:
        raise RuntimeError("decision_chain_head is missing: run `relaydesk db upgrade`")
    return head


class _Walk:
    """The state of one pass: the record before the current one, and what was found."""

    def __init__(self, expect: tuple[int, str] | None) -> None:
        self.expect = expect
        self.anchor_seen = expect is not None and expect[0] == 0
        # A virtual record 0 whose hash is the genesis value, so record 1 links like any other.
        self.prev_seq = 0
        self.prev_hash = GENESIS
        self.prev_flagged = False
        self.checked = 0
        self.problems: list[Problem] = []
        self.omitted = 0
        if expect is not None and expect[0] == 0 and expect[1] != GENESIS:
            self.report(0, "anchor", f"an anchor at seq 0 must have the genesis hash {GENESIS}")

    def report(self, seq: int, kind: ProblemKind, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq=seq, kind=kind, message=message))
        else:
            self.omitted += 1  # counted, not held: memory stays flat however broken the chain

    def check(self, record: DecisionRecord) -> None:
        self.checked += 1
        seq = record.seq
        flagged = self._check_contents(record)
        if seq > self.prev_seq + 1:
            first, last = self.prev_seq + 1, seq - 1
            missing = f"record {first} is" if first == last else f"records {first}..{last} are"
            self.report(first, "deleted", f"{missing} missing")
        elif record.prev_hash != self.prev_hash and not (flagged or self.prev_flagged):
            # Both records are intact and in place, yet they do not link: one of them was
            # rewritten with a freshly computed hash.
            self.report(
                seq,
                "edited",
                f"prev_hash does not match the hash of record {self.prev_seq}: record "
                f"{self.prev_seq} or {seq} was rewritten and re-hashed",
            )
        if self.expect is not None and seq == self.expect[0]:
            self.anchor_seen = True
            if record.hash != self.expect[1]:
                self.report(
                    seq,
                    "anchor",
                    f"hash is {record.hash}, the anchor says {self.expect[1]}: the chain was "
                    "rewritten at or before this record",
                )
        self.prev_seq, self.prev_hash, self.prev_flagged = seq, record.hash, flagged

    def _check_contents(self, record: DecisionRecord) -> bool:
        """Report what is wrong inside one record; True if anything was."""
        seq = record.seq
        if chain_hash(record.prev_hash, record.body) != record.hash:
            self.report(seq, "edited", "hash does not match the record's contents")
            return True
        try:
            body: Any = orjson.loads(record.body)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            # Only reachable if the hash was forged too; say so rather than crash.
            self.report(seq, "edited", "body is not a JSON object")
            return True
        if body.get("seq") != seq:
            self.report(seq, "reordered", f"holds the record written as seq {body.get('seq')}")
            return True
        changed = [
            f"{name} is {value!r} but the record says {body.get(name)!r}"
            for name, value in column_values(record).items()
            if not _same(name, value, body.get(name))
        ]
        if changed:
            self.report(seq, "edited", "; ".join(changed))
            return True
        return False

    def finish(self, head_seq: int, head_hash: str) -> None:
        if self.prev_seq < head_seq:
            removed = head_seq - self.prev_seq
            self.report(
                self.prev_seq + 1,
                "truncated",
                f"{removed} record{'s were' if removed > 1 else ' was'} removed from the end "
                f"(the head is at seq {head_seq}, the last record is seq {self.prev_seq})",
            )
        elif self.prev_seq > head_seq:
            self.report(
                head_seq + 1,
                "head",
                f"records {head_seq + 1}..{self.prev_seq} are past the head (seq {head_seq}): "
                "the head was rewound, or records were added without it",
            )
        elif self.prev_hash != head_hash and not self.prev_flagged:
            self.report(
                head_seq,
                "edited",
                "hash does not match the chain head: the record or the head was rewritten",
            )
        if self.expect is not None and not self.anchor_seen:
            anchor_seq, anchor_hash = self.expect
            rewound = (
                f", and the head was rewound to seq {head_seq}" if anchor_seq > head_seq else ""
            )
            self.report(
                anchor_seq,
                "anchor",
                f"the record the anchor names (hash {anchor_hash}) is gone{rewound}",
            )


def _same(name: str, column: Any, said: Any) -> bool:
    if name == "created_at" and isinstance(said, str):
        # Compare instants: PostgreSQL returns timestamps in the session's time zone, so the
        # same moment can be spelled with another offset than the one written.
        try:
            return datetime.fromisoformat(column) == datetime.fromisoformat(said)
        except ValueError:
            return False
    return bool(column == said)
