"""The store on SQLite and PostgreSQL: migrations, ingest, idempotency, recovery."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from relaydesk.conversations.models import Conversation, Event, EventKind
from relaydesk.conversations.schemas import CustomerIn, MessageCreate
from relaydesk.conversations.service import Inbound, handle_message, ingest, resume_pending
from relaydesk.db import Database
from relaydesk.errors import NotFound, Unprocessable
from relaydesk.models import metadata
from relaydesk.pipeline import Parts
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.outcomes import outcomes_for
from relaydesk.policy.records import read_body


def inbound(text: str = "How do I reset my password?", **fields: object) -> Inbound:
    key = fields.pop("idempotency_key", None)
    message = MessageCreate.model_validate({"channel": "web", "text": text, **fields})
    return Inbound(message, api_key_id="key-1", idempotency_key=key)  # type: ignore[arg-type]


def count(database: Database, kind: EventKind) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).where(Event.kind == kind)) or 0


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_a_message_is_stored_decided_and_answered(database: Database, parts: Parts) -> None:
    stored = handle_message(database, parts, inbound(customer={"email": "Ann@Example.com"}))
    with database.read() as session:
        message = session.get(Event, stored.message_id)
        assert message is not None
        assert message.kind == EventKind.MESSAGE_IN
        caused = session.scalars(select(Event).where(Event.caused_by == message.id)).all()
        kinds = [event.kind for event in caused]
        assert kinds == [EventKind.DECISION, EventKind.MESSAGE_OUT]
        decision = caused[0].payload
        assert decision["decision"]["route"] == "ai_reply"
        record = session.get(DecisionRecord, decision["record"])
        assert record is not None
        assert record.message_id == message.id
        assert read_body(record)["facts"]["message"]["text"] == "How do I reset my password?"


def test_a_handoff_moves_the_conversation_to_a_team(database: Database, parts: Parts) -> None:
    stored = handle_message(database, parts, inbound("let me speak to a real person"))
    with database.read() as session:
        message = session.get(Event, stored.message_id)
        assert message is not None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        assert (conversation.status, conversation.team) == ("waiting_for_human", "frontline")


def test_ai_is_silent_once_a_person_has_the_conversation(database: Database, parts: Parts) -> None:
    first = handle_message(database, parts, inbound("I want a human"))
    with database.read() as session:
        event = session.get(Event, first.message_id)
        assert event is not None
        conversation_id = event.conversation_id
    handle_message(database, parts, inbound("Also, how do I reset my password?",
                                            conversation_id=conversation_id))  # fmt: skip
    assert count(database, EventKind.MESSAGE_OUT) == 0
    assert count(database, EventKind.HANDOFF) == 1  # the customer hears it once
    assert count(database, EventKind.DECISION) == 2  # and every message is still decided


def test_same_idempotency_key_stores_once(database: Database, parts: Parts) -> None:
    first = handle_message(database, parts, inbound(idempotency_key="k-1"))
    again = handle_message(database, parts, inbound(idempotency_key="k-1"))
    assert (first.created, again.created) == (True, False)
    assert again.message_id == first.message_id
    assert count(database, EventKind.MESSAGE_IN) == 1
    assert count(database, EventKind.DECISION) == 1


def test_same_key_with_a_different_body_is_refused(database: Database, parts: Parts) -> None:
    handle_message(database, parts, inbound(idempotency_key="k-1"))
    with pytest.raises(Unprocessable, match="different request body"):
        handle_message(database, parts, inbound("something else", idempotency_key="k-1"))
    assert count(database, EventKind.MESSAGE_IN) == 1


def test_channel_external_id_is_delivered_once(database: Database, parts: Parts) -> None:
    first = handle_message(database, parts, inbound(external_id="zd-123"))
    again = handle_message(database, parts, inbound(external_id="zd-123"))
    assert again.message_id == first.message_id
    assert not again.created
    with pytest.raises(Unprocessable, match="already used"):
        handle_message(database, parts, inbound("other text", external_id="zd-123"))
    assert count(database, EventKind.MESSAGE_IN) == 1


def test_unknown_conversation_stores_nothing(database: Database, parts: Parts) -> None:
    with pytest.raises(NotFound):
        handle_message(database, parts, inbound(conversation_id="no-such-conversation"))
    assert count(database, EventKind.MESSAGE_IN) == 0


def test_a_conversation_belongs_to_one_customer(database: Database, parts: Parts) -> None:
    first = handle_message(database, parts, inbound(customer={"email": "a@example.com"}))
    with database.read() as session:
        event = session.get(Event, first.message_id)
        assert event is not None
    other = {"email": "b@example.com"}
    with pytest.raises(Unprocessable, match="another customer"):
        handle_message(database, parts, inbound(conversation_id=event.conversation_id,
                                                customer=other))  # fmt: skip


def test_customers_are_matched_by_id_then_email(database: Database, parts: Parts) -> None:
    customer = CustomerIn(id="cus_1", email="a@example.com", tier="vip")
    handle_message(database, parts, inbound(customer=customer.model_dump()))
    stored = handle_message(
        database, parts, inbound("hi again", customer={"email": "A@example.com"})
    )
    with database.read() as session:
        event = session.get(Event, stored.message_id)
        assert event is not None
        conversation = session.get(Conversation, event.conversation_id)
        assert conversation is not None
        record = session.scalar(select(DecisionRecord).where(DecisionRecord.message_id == event.id))
        assert record is not None
        facts = read_body(record)["facts"]
    assert facts["customer"]["vip"] is True
    assert facts["customer"]["recent_recontacts"] == 1


def test_a_stored_but_undecided_message_is_resumed(database: Database, parts: Parts) -> None:
    stored = ingest(database, inbound())  # as if the process died right after storing
    assert count(database, EventKind.DECISION) == 0
    assert resume_pending(database, parts) == 1
    assert count(database, EventKind.DECISION) == 1
    assert resume_pending(database, parts) == 0
    assert stored.created


def test_a_retry_finishes_a_message_whose_first_delivery_died(
    database: Database, parts: Parts
) -> None:
    ingest(database, inbound(idempotency_key="k-9"))
    retry = handle_message(database, parts, inbound(idempotency_key="k-9"), wait=0.05)
    assert not retry.created
    assert count(database, EventKind.DECISION) == 1


def add_decision(database: Database, message_id: int) -> None:
    with database.write() as session:
        message = session.get(Event, message_id)
        assert message is not None
        session.add(
            Event(
                conversation_id=message.conversation_id,
                kind=EventKind.DECISION,
                source="system",
                caused_by=message.id,
                payload={},
            )
        )


def test_one_decision_per_message_is_enforced_by_the_database(
    database: Database, parts: Parts
) -> None:
    stored = handle_message(database, parts, inbound())
    with pytest.raises(IntegrityError):
        add_decision(database, stored.message_id)


def test_the_path_attaches_outcomes_to_earlier_decisions(database: Database, parts: Parts) -> None:
    first = handle_message(database, parts, inbound(customer={"email": "bo@example.com"}))
    with database.read() as session:
        event = session.get(Event, first.message_id)
        assert event is not None
        conversation_id = event.conversation_id
    handle_message(database, parts, inbound("I want a human", conversation_id=conversation_id))
    handle_message(database, parts, inbound("me again", customer={"email": "bo@example.com"}))
    with database.read() as session:
        record = session.scalar(
            select(DecisionRecord).where(DecisionRecord.message_id == first.message_id)
        )
        assert record is not None
        kinds = sorted(o.kind for o in outcomes_for(session, [record.seq])[record.seq])
    # The AI answered and a person had to take over later.
    assert kinds == ["handed_over"]
    with database.read() as session:
        last_of_first = session.scalars(
            select(DecisionRecord)
            .where(DecisionRecord.conversation_id == conversation_id)
            .order_by(DecisionRecord.seq.desc())
        ).first()
        assert last_of_first is not None
        later = outcomes_for(session, [last_of_first.seq])[last_of_first.seq]
    assert [o.kind for o in later] == ["recontacted"]
