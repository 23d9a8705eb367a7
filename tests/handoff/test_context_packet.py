"""The context packet: what the person taking over sees, and where it is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import turn
from handoff_values import (
    BILLING_ARTICLE,
    WARRANTY_ARTICLE,
    attempt,
    decision,
    signals,
    wait,
    with_waits,
)
from sqlalchemy import select

from relaydesk.conversations.models import Event, EventKind, Source
from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database
from relaydesk.errors import Unprocessable
from relaydesk.handoff import ContextPacket, build_packet
from relaydesk.handoff.steps import load_steps
from relaydesk.pipeline import Parts, run
from relaydesk.policy.decision import MatchedRule

DUPLICATE = "Check the customer's payments for a duplicate or unexpected charge this month"
GREET = "Greet them by name and take it from here."
ACKNOWLEDGE = "Acknowledge their frustration before anything else."
SENIOR = "involve a senior colleague before replying"


def packet_for(text: str, *history: tuple[Source, str], **fired: tuple[str, ...]) -> ContextPacket:
    given = with_waits(turn(text, *history, tier="gold"), wait(4))
    read = attempt(BILLING_ARTICLE, WARRANTY_ARTICLE)
    return build_packet(given, signals(**fired), read, decision())


def test_messages_are_the_customers_own_in_order() -> None:
    packet = packet_for(
        "why was I charged twice this month?",
        (Source.CUSTOMER, "hello"),
        (Source.AI_AGENT, "Hi! How can I help?"),
        (Source.CUSTOMER, "I see two charges"),
    )
    assert packet.messages == ("hello", "I see two charges", "why was I charged twice this month?")


def test_signals_carry_their_evidence_and_quiet_ones_are_left_out() -> None:
    packet = packet_for("this is useless, I need it today", frustration=("useless",))
    by_name = {s.name: s for s in packet.signals}
    assert set(by_name) == {"category", "frustration"}
    assert by_name["frustration"].evidence == ("useless",)
    assert by_name["frustration"].value is True
    assert by_name["category"].value == "payment_dispute"
    assert by_name["category"].score == 0.7


def test_the_decision_names_every_rule_with_owner_and_why() -> None:
    second = MatchedRule(id="frustrated", owner="lead", description="d", reason="they are upset")
    first = MatchedRule(id="disputed-charge", owner="billing-lead", description="d", reason="r")
    given = with_waits(turn("why was I charged twice?"), wait(4))
    packet = build_packet(given, signals(), attempt(), decision("billing", first, second))
    rules = [(r.id, r.owner, r.why) for r in packet.decision.rules]
    assert rules == [
        ("disputed-charge", "billing-lead", "r"),
        ("frustrated", "lead", "they are upset"),
    ]
    assert (packet.decision.team, packet.decision.priority) == ("billing", "high")
    assert (packet.decision.policy_name, packet.decision.policy_version) == ("default", "7")


def test_the_summary_says_who_what_and_why() -> None:
    plain = build_packet(turn("refund status", tier="gold"), signals(), attempt(), decision())
    # No name (a web visitor): no internal id in a sentence meant for people.
    assert plain.summary.startswith('The customer (gold tier) asked: "refund status". It')
    given = with_waits(turn("Hi. Why was I charged twice?", name="Ana Ruiz"), wait(4))
    packet = build_packet(given, signals(), attempt(), decision())
    assert packet.summary == (
        'Ana Ruiz asked: "Why was I charged twice?" It came to a person because the customer '
        "disputes a charge (rule disputed-charge, billing-lead)."
    )


def test_the_ai_attempt_lists_articles_in_rank_order_marking_cited_and_relevant() -> None:
    given = with_waits(turn("why was I charged twice this month?"), wait(4))
    read = attempt(WARRANTY_ARTICLE, BILLING_ARTICLE, cited=(BILLING_ARTICLE,))
    packet = build_packet(given, signals(), read, decision())
    assert packet.ai_attempt is not None
    assert packet.ai_attempt.answer == "We charge your card when you order."
    listed = [(a.rank, a.title, a.cited, a.relevant) for a in packet.ai_attempt.articles]
    assert listed == [
        (1, "Warranty and faulty shoes", False, False),
        (2, "Billing, charges and invoices", True, True),
    ]
    assert packet.ai_attempt.articles[1].url == "https://help.example/billing"


def test_the_wait_is_the_one_the_customer_was_told() -> None:
    packet = packet_for("why was I charged twice this month?")
    assert packet.wait is not None
    assert (packet.wait.team, packet.wait.minutes) == ("billing", 4)


@pytest.mark.parametrize(
    ("category", "fired", "first", "also"),
    [
        ("payment_dispute", {}, DUPLICATE, None),
        ("unknown", {"human_request": ("a person",)}, GREET, None),
        ("unknown", {"legal_threat": ("lawyer",)}, None, SENIOR),
        ("payment_dispute", {"frustration": ("useless",)}, ACKNOWLEDGE, DUPLICATE),
    ],
)
def test_suggested_steps_follow_the_category_and_signals(
    category: str, fired: dict[str, tuple[str, ...]], first: str | None, also: str | None
) -> None:
    given = turn("anything")
    packet = build_packet(given, signals(category, **fired), attempt(), decision())
    steps = packet.suggested_next_steps
    if first is not None:
        assert steps[0].startswith(first)
    if also is not None:
        assert any(also in step for step in steps)


def test_a_quiet_message_gets_the_default_step() -> None:
    packet = build_packet(turn("hm"), signals("unknown"), attempt(), decision())
    assert packet.suggested_next_steps == ("Read the conversation, then reply here.",)


def test_vip_and_recontacts_add_steps() -> None:
    given = turn("hm", vip=True, recent_recontacts=2)
    steps = build_packet(given, signals("unknown"), attempt(), decision()).suggested_next_steps
    assert any(step.startswith("VIP customer") for step in steps)
    assert any("contacted us recently" in step for step in steps)


def test_a_broken_steps_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "steps.yaml"
    path.write_text("steps:\n  - when: {signal: sarcasm}\n    step: x\notherwise: y\n", "utf-8")
    with pytest.raises(Unprocessable, match=r"steps\.0\.when\.signal"):
        load_steps(path)


def test_the_pipeline_attaches_a_packet_to_every_handoff(parts: Parts) -> None:
    outcome = run(with_waits(turn("why was I charged twice this month?"), wait(4)), parts)
    packet = outcome.packet
    assert packet is not None
    assert packet.decision.rules[0].id == "disputed-charge"
    assert packet.suggested_next_steps[0].startswith(DUPLICATE)
    assert outcome.handoff is not None
    assert packet.wait == outcome.handoff.wait
    assert run(turn("How do I reset my password?"), parts).packet is None  # the AI answered


def test_the_packet_is_stored_with_the_handoff_event(database: Database, parts: Parts) -> None:
    message = MessageCreate.model_validate(
        {"channel": "web", "text": "why was I charged twice this month?",
         "customer": {"email": "ana@example.com", "attributes": {"locale": "es"}}}
    )  # fmt: skip
    handle_message(database, parts, Inbound(message))
    with database.read() as session:
        event = session.scalars(select(Event).where(Event.kind == EventKind.HANDOFF)).one()
    assert event.payload["locale"] == "es"
    assert "Billing" in (event.text or "")
    packet = ContextPacket.model_validate(event.payload["packet"])
    assert packet.messages == ("why was I charged twice this month?",)
    assert packet.locale == "es"
    assert packet.decision.rules[0].id == "disputed-charge"
    assert packet.wait is not None
    assert packet.wait.team == "billing"
