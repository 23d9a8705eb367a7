"""Outcomes of decisions on SQLite and PostgreSQL: validation, and the automatic hooks."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from factories import message
from sqlalchemy import delete, select, update

from relaydesk.conversations.models import Conversation, Event, EventKind, Source
from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database, utcnow
from relaydesk.errors import NotFound, Unprocessable
from relaydesk.pipeline import Parts
from relaydesk.policy.models import DecisionOutcome, DecisionRecord, OutcomeKind
from relaydesk.policy.outcomes import (
    SYSTEM_ACTOR,
    add_outcome,
    on_conversation_resolved,
    on_conversation_started,
    on_decision_recorded,
    outcomes_for,
)

AI = "How do I reset my password?"
AI_OTHERS = ("Do you ship to Australia?", "How do I change my email address?")
PERSON = "let me talk to a human"


def send(database: Database, parts: Parts, text: str, **fields: object) -> DecisionRecord:
    """Send a message through the real path and return the decision it recorded."""
    inbound = Inbound(MessageCreate.model_validate(message(text, **fields)))
    stored = handle_message(database, parts, inbound)
    with database.read() as session:
        query = select(DecisionRecord).where(DecisionRecord.message_id == stored.message_id)
        record = session.scalar(query)
        assert record is not None
        return record


def kinds(database: Database, seq: int) -> list[str]:
    with database.read() as session:
        return [outcome.kind for outcome in outcomes_for(session, [seq])[seq]]


def resolve(database: Database, conversation_id: str) -> None:
    with database.write() as session:
        session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(status="resolved")
        )


# --- add_outcome -----------------------------------------------------------------------------


def test_outcomes_are_attached_and_read_back(database: Database, parts: Parts) -> None:
    answered = send(database, parts, AI)
    handed = send(database, parts, PERSON)
    assert (answered.route, handed.route) == ("ai_reply", "handoff")
    with database.write() as session:
        csat = add_outcome(session, answered.seq, OutcomeKind.CSAT, value=4, actor="ann")
        add_outcome(session, answered.seq, OutcomeKind.CSAT, value=5.0, note="later", actor="ann")
        add_outcome(session, handed.seq, OutcomeKind.ESCALATION_NECESSARY, actor="bob")
    assert (csat.kind, csat.value, csat.actor) == ("csat", 4, "ann")
    with database.read() as session:
        found = outcomes_for(session, [answered.seq, handed.seq, 999])
    assert [(o.kind, o.value) for o in found[answered.seq]] == [("csat", 4), ("csat", 5)]
    assert [o.kind for o in found[handed.seq]] == ["escalation_necessary"]
    assert found[999] == []


def test_an_unknown_decision_is_not_found(database: Database) -> None:
    with database.write() as session, pytest.raises(NotFound, match="decision 42 does not exist"):
        add_outcome(session, 42, OutcomeKind.CSAT, value=5, actor="ann")


@pytest.mark.parametrize("value", [None, 0, 6, 4.5, -1])
def test_csat_needs_a_whole_number_from_1_to_5(
    database: Database, parts: Parts, value: float | None
) -> None:
    seq = send(database, parts, AI).seq
    with database.write() as session, pytest.raises(Unprocessable, match="from 1 to 5"):
        add_outcome(session, seq, OutcomeKind.CSAT, value=value, actor="ann")
    assert kinds(database, seq) == []


def test_a_value_must_be_finite(database: Database, parts: Parts) -> None:
    seq = send(database, parts, PERSON).seq
    with database.write() as session, pytest.raises(Unprocessable, match="finite"):
        add_outcome(session, seq, OutcomeKind.ESCALATION_NECESSARY, value=math.nan, actor="a")


def test_an_unknown_kind_is_unprocessable(database: Database, parts: Parts) -> None:
    seq = send(database, parts, AI).seq
    with database.write() as session, pytest.raises(Unprocessable, match="unknown outcome kind"):
        add_outcome(session, seq, "great", actor="ann")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kind", [OutcomeKind.ESCALATION_NECESSARY, OutcomeKind.ESCALATION_UNNECESSARY]
)
def test_escalation_judgements_need_a_handoff(
    database: Database, parts: Parts, kind: OutcomeKind
) -> None:
    seq = send(database, parts, AI).seq
    with database.write() as session, pytest.raises(Unprocessable, match="routed to ai_reply"):
        add_outcome(session, seq, kind, actor="ann")
    assert kinds(database, seq) == []


def forget_outcomes(database: Database) -> None:
    """Drop what the message path attached, to test a hook on its own."""
    with database.write() as session:
        session.execute(delete(DecisionOutcome))


# --- on_decision_recorded --------------------------------------------------------------------


def test_a_handoff_marks_what_the_ai_kept_since_the_last_handoff(
    database: Database, parts: Parts
) -> None:
    first = send(database, parts, AI)
    conversation = {"conversation_id": first.conversation_id}
    earlier_handoff = send(database, parts, PERSON, **conversation)
    resolve(database, first.conversation_id)  # a person closed it; the customer writes again
    # Other questions than the first: asking the same thing again would hand over by itself.
    kept = [send(database, parts, text, **conversation) for text in AI_OTHERS]
    handoff = send(database, parts, PERSON, **conversation)
    elsewhere = send(database, parts, AI)  # another conversation
    routes = [r.route for r in (earlier_handoff, *kept, handoff)]
    assert routes == ["handoff", "ai_reply", "ai_reply", "handoff"]
    assert [kinds(database, r.seq) for r in kept] == [["handed_over"], ["handed_over"]]  # the path
    forget_outcomes(database)  # and now the hook on its own
    with database.write() as session:
        attached = on_decision_recorded(session, handoff)
    assert sorted(o.decision_seq for o in attached) == [r.seq for r in kept]
    assert {(o.actor, o.note) for o in attached} == {
        (SYSTEM_ACTOR, f"handed over at decision {handoff.seq}")
    }
    with database.write() as session:
        assert on_decision_recorded(session, handoff) == []  # idempotent
        assert on_decision_recorded(session, kept[0]) == []  # not a handoff: nothing to do
    # Before the earlier handoff, and in other conversations, nothing is marked.
    assert kinds(database, first.seq) == []
    assert kinds(database, elsewhere.seq) == []
    assert [kinds(database, r.seq) for r in kept] == [["handed_over"], ["handed_over"]]


# --- on_conversation_started -----------------------------------------------------------------


def test_a_new_conversation_marks_the_last_one_recontacted(
    database: Database, parts: Parts
) -> None:
    ann = {"customer": {"email": "ann@example.com"}}
    first = send(database, parts, AI, **ann)
    last = send(database, parts, AI, conversation_id=first.conversation_id, **ann)
    send(database, parts, AI, customer={"email": "bob@example.com"})  # someone else, later
    again = send(database, parts, AI, **ann)  # a new conversation
    assert again.conversation_id != first.conversation_id
    with database.read() as session:
        conversation = session.get(Conversation, again.conversation_id)
        assert conversation is not None
        customer_id = conversation.customer_id
    assert kinds(database, last.seq) == ["recontacted"]  # attached by the path
    forget_outcomes(database)  # and now the hook on its own
    later = last.created_at + timedelta(hours=5)
    with database.write() as session:
        outcome = on_conversation_started(session, customer_id, again.conversation_id, later)
        assert outcome is not None
        assert (outcome.decision_seq, outcome.kind) == (last.seq, "recontacted")
        assert outcome.value == pytest.approx(5.0)
        assert outcome.note == f"came back in conversation {again.conversation_id}"
        # Idempotent: the decision is marked once.
        assert on_conversation_started(session, customer_id, again.conversation_id, later) is None
    assert kinds(database, last.seq) == ["recontacted"]
    assert kinds(database, first.seq) == []


def test_a_return_after_the_window_is_not_a_recontact(database: Database, parts: Parts) -> None:
    ann = {"customer": {"email": "ann@example.com"}}
    last = send(database, parts, AI, **ann)
    again = send(database, parts, AI, **ann)
    with database.read() as session:
        conversation = session.get(Conversation, again.conversation_id)
        assert conversation is not None
    alone = send(database, parts, AI, customer={"email": "new@example.com"})
    forget_outcomes(database)  # the path marked it (it is within the window in real time)
    with database.write() as session:
        late = last.created_at + timedelta(days=7, seconds=1)
        assert on_conversation_started(session, conversation.customer_id, again.conversation_id,
                                       late) is None  # fmt: skip
        # A first conversation has nothing to mark.
        other = session.get(Conversation, alone.conversation_id)
        assert other is not None
        assert on_conversation_started(session, other.customer_id, other.id, utcnow()) is None
    assert kinds(database, last.seq) == []


# --- on_conversation_resolved ----------------------------------------------------------------


def test_a_conversation_only_the_ai_handled_is_resolved_by_ai(
    database: Database, parts: Parts
) -> None:
    first = send(database, parts, AI)
    last = send(database, parts, AI, conversation_id=first.conversation_id)
    with database.write() as session:
        outcome = on_conversation_resolved(session, first.conversation_id, actor="ann")
        assert outcome is not None
        assert (outcome.decision_seq, outcome.kind, outcome.actor) == (
            last.seq, "resolved_by_ai", "ann",
        )  # fmt: skip
        assert on_conversation_resolved(session, first.conversation_id, actor="ann") is None
    assert kinds(database, last.seq) == ["resolved_by_ai"]
    assert kinds(database, first.seq) == []


def test_a_conversation_a_person_had_is_not_resolved_by_ai(
    database: Database, parts: Parts
) -> None:
    first = send(database, parts, AI)
    send(database, parts, PERSON, conversation_id=first.conversation_id)
    resolve(database, first.conversation_id)
    last = send(database, parts, AI, conversation_id=first.conversation_id)
    assert last.route == "ai_reply"
    with database.write() as session:
        assert on_conversation_resolved(session, first.conversation_id, actor="ann") is None
    assert kinds(database, last.seq) == []


def test_a_person_replying_without_a_handoff_is_not_resolved_by_ai(
    database: Database, parts: Parts
) -> None:
    answered = send(database, parts, AI)
    with database.write() as session:
        session.add(
            Event(
                conversation_id=answered.conversation_id,
                kind=EventKind.MESSAGE_OUT,
                source=Source.HUMAN_AGENT,
                actor="ann",
                text="I took care of it",
            )
        )
    with database.write() as session:
        assert on_conversation_resolved(session, answered.conversation_id, actor="ann") is None
        assert session.scalars(select(DecisionOutcome)).all() == []
