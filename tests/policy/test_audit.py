"""The decision chain audit on SQLite and PostgreSQL: a clean chain, and each kind of tampering."""

from __future__ import annotations

import itertools
import threading

import pytest
from factories import message
from sqlalchemy import select, text

from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database
from relaydesk.pipeline import Parts
from relaydesk.policy.audit import AuditReport, chain_head, verify_chain
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.records import GENESIS, chain_hash


def send(database: Database, parts: Parts, text: str, **fields: object) -> None:
    handle_message(database, parts, Inbound(MessageCreate.model_validate(message(text, **fields))))


def decide(database: Database, parts: Parts, count: int = 5) -> None:
    """``count`` decisions, alternating an AI answer and a handoff."""
    for i in range(count):
        said = "How do I reset my password?" if i % 2 == 0 else "let me talk to a human"
        send(database, parts, said, customer={"email": f"c{i}@example.com"})


def tamper(database: Database, *statements: str, **params: object) -> None:
    with database.write() as session:
        for statement in statements:
            session.execute(text(statement), params)


def found(report: AuditReport) -> list[tuple[str, int]]:
    return [(problem.kind, problem.seq) for problem in report.problems]


def record_hash(database: Database, seq: int) -> str:
    with database.read() as session:
        record = session.get(DecisionRecord, seq)
        assert record is not None
        return record.hash


def test_an_empty_chain_verifies(database: Database) -> None:
    report = verify_chain(database)
    assert (report.ok, report.records_checked, report.head_seq, report.head_hash) == (
        True, 0, 0, GENESIS,
    )  # fmt: skip


def test_a_clean_chain_verifies_in_any_batch_size(database: Database, parts: Parts) -> None:
    decide(database, parts)
    head = chain_head(database)
    assert head == (5, record_hash(database, 5))
    seen: list[int] = []
    for batch in (1, 2, 5, 5000):
        report = verify_chain(database, expect=head, batch=batch, progress=seen.append)
        assert report.ok, report.format()
        assert (report.records_checked, report.head_seq, report.head_hash) == (5, *head)
        assert report.problems == []
    assert seen[:7] == [1, 1, 1, 1, 1, 2, 2]  # after each batch, how many it checked
    assert sum(seen) == 4 * 5
    assert "OK" in report.format()


def test_an_edited_body_is_found(database: Database, parts: Parts) -> None:
    decide(database, parts)
    tamper(
        database,
        "UPDATE decision_records SET body = replace(body, 'password', 'passwort') WHERE seq = 3",
    )
    report = verify_chain(database, batch=2)
    assert found(report) == [("edited", 3)]
    assert "hash does not match" in report.problems[0].message
    assert "FAILED: 1 problem" in report.format()


def test_an_edited_column_is_found(database: Database, parts: Parts) -> None:
    decide(database, parts)
    tamper(database, "UPDATE decision_records SET route = 'handoff' WHERE seq = 3")
    report = verify_chain(database)
    assert found(report) == [("edited", 3)]
    assert "route is 'handoff' but the record says 'ai_reply'" in report.problems[0].message


def test_a_rewritten_and_rehashed_record_is_found(database: Database, parts: Parts) -> None:
    decide(database, parts)
    with database.write() as session:
        record = session.get(DecisionRecord, 3)
        assert record is not None
        record.body = record.body.replace("password", "passwort")
        record.hash = chain_hash(record.prev_hash, record.body)
    report = verify_chain(database)
    # Record 3 is self-consistent now; record 4 no longer links to it.
    assert found(report) == [("edited", 4)]
    assert "record 3 or 4 was rewritten" in report.problems[0].message


def test_a_deleted_record_is_found(database: Database, parts: Parts) -> None:
    decide(database, parts)
    tamper(database, "DELETE FROM decision_records WHERE seq = 3")
    report = verify_chain(database, batch=2)
    assert found(report) == [("deleted", 3)]
    assert report.problems[0].message == "record 3 is missing"
    assert report.records_checked == 4


def test_deleted_first_records_are_found(database: Database, parts: Parts) -> None:
    decide(database, parts)
    tamper(database, "DELETE FROM decision_records WHERE seq <= 2")
    report = verify_chain(database)
    assert found(report) == [("deleted", 1)]
    assert report.problems[0].message == "records 1..2 are missing"


def test_swapped_records_are_found_as_reordered(database: Database, parts: Parts) -> None:
    decide(database, parts)
    # Move record 3 to seq 4 and record 4 to seq 3, everything else unchanged.
    tamper(
        database,
        "UPDATE decision_records SET seq = -3 WHERE seq = 3",
        "UPDATE decision_records SET seq = 3 WHERE seq = 4",
        "UPDATE decision_records SET seq = 4 WHERE seq = -3",
    )
    report = verify_chain(database)
    assert found(report) == [("reordered", 3), ("reordered", 4)]
    assert report.problems[0].message == "holds the record written as seq 4"


def test_swapped_bodies_and_hashes_are_found_as_reordered(database: Database, parts: Parts) -> None:
    decide(database, parts)
    # Swap what the hash covers (body and prev_hash) and the hash; the columns stay.
    columns = ("body", "prev_hash", "hash")
    with database.write() as session:
        three, four = session.get(DecisionRecord, 3), session.get(DecisionRecord, 4)
        assert three is not None
        assert four is not None
        for column in columns:
            mine, theirs = getattr(three, column), getattr(four, column)
            setattr(three, column, theirs)
            setattr(four, column, mine)
    report = verify_chain(database)
    assert found(report) == [("reordered", 3), ("reordered", 4)]


def test_records_removed_from_the_end_are_found(database: Database, parts: Parts) -> None:
    decide(database, parts)
    tamper(database, "DELETE FROM decision_records WHERE seq >= 4")
    report = verify_chain(database)
    assert found(report) == [("truncated", 4)]
    assert report.problems[0].message.startswith("2 records were removed from the end")
    assert (report.head_seq, report.records_checked) == (5, 3)


def test_a_truncation_that_rewinds_the_head_needs_an_anchor(
    database: Database, parts: Parts
) -> None:
    decide(database, parts)
    anchor = chain_head(database)
    tamper(
        database,
        "DELETE FROM decision_records WHERE seq >= 4",
        "UPDATE decision_chain_head SET seq = 3, hash = :hash WHERE id = 1",
        hash=record_hash(database, 3),
    )
    # What is left is a valid, shorter chain: without an anchor nothing shows it.
    assert verify_chain(database).ok
    report = verify_chain(database, expect=anchor)
    assert found(report) == [("anchor", 5)]
    assert "is gone, and the head was rewound to seq 3" in report.problems[0].message


def test_an_anchor_catches_a_rewritten_chain(database: Database, parts: Parts) -> None:
    decide(database, parts, count=3)
    anchor = chain_head(database)
    # Rewrite record 2 and re-hash it, its successor, and the head: a consistent forgery.
    with database.write() as session:
        records = session.scalars(select(DecisionRecord).order_by(DecisionRecord.seq)).all()
        records[1].body = records[1].body.replace("human", "HUMAN")
        for before, record in itertools.pairwise(records):
            record.prev_hash = before.hash
            record.hash = chain_hash(record.prev_hash, record.body)
    tamper(
        database,
        "UPDATE decision_chain_head SET hash = :hash WHERE id = 1",
        hash=record_hash(database, 3),
    )
    assert verify_chain(database).ok
    assert found(verify_chain(database, expect=anchor)) == [("anchor", 3)]


def test_an_anchor_that_still_holds_passes(database: Database, parts: Parts) -> None:
    decide(database, parts, count=2)
    anchor = chain_head(database)
    decide(database, parts, count=2)  # the chain grows past the anchor: that is fine
    assert verify_chain(database, expect=anchor).ok
    assert verify_chain(database, expect=(0, GENESIS)).ok
    assert found(verify_chain(database, expect=(2, "f" * 64))) == [("anchor", 2)]


def test_a_rewound_head_is_found(database: Database, parts: Parts) -> None:
    decide(database, parts)
    tamper(
        database,
        "UPDATE decision_chain_head SET seq = 3, hash = :hash WHERE id = 1",
        hash=record_hash(database, 3),
    )
    assert found(verify_chain(database)) == [("head", 4)]


def test_problems_are_capped_and_counted(
    database: Database, parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("relaydesk.policy.audit.MAX_PROBLEMS", 2)
    decide(database, parts)
    tamper(database, "UPDATE decision_records SET body = body || ' '")
    report = verify_chain(database)
    assert (len(report.problems), report.problems_omitted, report.ok) == (2, 3, False)
    assert "FAILED: 5 problems" in report.format()
    assert "... and 3 more" in report.format()


def test_concurrent_appends_leave_a_valid_chain(database: Database, parts: Parts) -> None:
    errors: list[BaseException] = []

    def customer(n: int) -> None:
        try:
            for i in range(10):
                send(database, parts, f"How do I reset my password? ({i})",
                     customer={"email": f"t{n}@example.com"})  # fmt: skip
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_chain(database)
    assert report.ok, report.format()
    assert (report.records_checked, report.head_seq) == (40, 40)
    with database.read() as session:
        seqs = session.scalars(select(DecisionRecord.seq).order_by(DecisionRecord.seq)).all()
        assert list(seqs) == list(range(1, 41))
