"""The message path's action stage: proposals run once, after Cedar, and the handoff and the
context packet say what was done."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import select
from support.actions import SECRET, effects, runs, seed_shop

from relaydesk.actions.testing import ObedientModel
from relaydesk.conversations.models import Event, EventKind
from relaydesk.conversations.schemas import CustomerIn, MessageCreate
from relaydesk.conversations.service import Inbound, handle_message, process
from relaydesk.db import Database
from relaydesk.pipeline import Parts
from relaydesk.settings import Settings
from relaydesk.startup import load_parts


@pytest.fixture
def parts(database: Database, tmp_path: Path) -> Parts:
    seed_shop(database)
    settings = Settings(database_url=database.url, secret_key=SECRET, dense_retrieval=False)
    return load_parts(settings, database)


def send(database: Database, parts: Parts, text: str) -> int:
    message = MessageCreate(channel="web", text=text, customer=CustomerIn(id="cus_1001"))
    with mock.patch("relaydesk.pipeline.attempt_answer", ObedientModel()):
        return handle_message(database, parts, Inbound(message)).message_id


def test_a_resumed_message_does_not_run_its_actions_twice(database: Database, parts: Parts) -> None:
    message_id = send(database, parts, "Please refund $20 on order SR-20417.")
    assert effects(database, kind="refund") == 1
    with mock.patch("relaydesk.pipeline.attempt_answer", ObedientModel()):
        process(database, parts, message_id)  # a retry or a resume after a crash
    assert effects(database, kind="refund") == 1
    assert len(runs(database)) == 1


def test_the_handoff_and_the_packet_say_what_was_done(database: Database, parts: Parts) -> None:
    send(
        database,
        parts,
        "I want a person. Refund $20 on order SR-20417 and refund $60 on "
        "order SR-20533, and refund $5 on order SR-20462.",
    )
    with database.read() as session:
        handoff = session.scalars(select(Event).where(Event.kind == EventKind.HANDOFF)).one()
    assert "I've already done this for you: refund (order SR-20417, 20.00)" in (handoff.text or "")
    assert "needs a person's approval first: refund (order SR-20533, 60.00)" in (handoff.text or "")
    assert "SR-20462" not in (handoff.text or "")  # refused: for the packet, not the customer
    packet = handoff.payload["packet"]
    statuses = [(a["action"], a["status"], a["policies"]) for a in packet["actions"]]
    assert statuses == [
        ("refund", "ran", ["ai-small-refunds"]),
        ("refund", "awaiting_approval", ["ai-refund-cap"]),
        ("refund", "denied", ["only-for-your-own-customer"]),
    ]
