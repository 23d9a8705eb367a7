from __future__ import annotations

import pytest
from factories import turn

from relaydesk.conversations.models import Source
from relaydesk.pipeline import Parts
from relaydesk.signals import detect_signals
from relaydesk.signals.detect import frustration, repeat_ask


@pytest.mark.parametrize(
    "text",
    [
        "stop and let me talk to a real person",
        "Can I speak to a human please",
        "I've tried everything, the tracking is stuck, honestly just put me through to someone "
        "real, and also can you check the address",
        "transfer me to an agent",
        "HUMAN PLEASE",
        "i want a live agent now",
        "I don't want to chat with a bot",
    ],
)
def test_asks_for_a_person_anywhere_in_the_message(parts: Parts, text: str) -> None:
    signal = detect_signals(turn(text), parts.categories).human_request
    assert signal.value
    assert signal.evidence  # the words that fired are kept


@pytest.mark.parametrize(
    "text",
    ["How do I reset my password?", "Is the person who packs my order careful?", "agent orange"],
)
def test_ordinary_questions_are_not_asks_for_a_person(parts: Parts, text: str) -> None:
    assert not detect_signals(turn(text), parts.categories).human_request.value


def test_manager_legal_and_urgency_each_carry_their_evidence(parts: Parts) -> None:
    signals = detect_signals(
        turn("Get me your supervisor. My lawyer will hear about this. I need it today!"),
        parts.categories,
    )
    assert signals.manager_request.evidence == ("Get me your supervisor",)
    assert signals.legal_threat.evidence == ("My lawyer will",)
    assert signals.urgency.evidence == ("need it today",)


def test_frustration_grows_with_markers() -> None:
    calm = frustration(turn("Where is my order?"))
    annoyed = frustration(turn("This is ridiculous."))
    furious = frustration(turn("THIS IS RIDICULOUS AND UNACCEPTABLE, THIRD TIME ASKING!!"))
    assert calm.score == 0
    assert not calm.value
    assert 0 < annoyed.score < furious.score
    assert furious.value
    assert "mostly capitals" in furious.evidence


def test_repeat_ask_counts_only_asks_the_ai_already_answered() -> None:
    ask = "how long do refunds take to arrive"
    unanswered = turn(ask, (Source.CUSTOMER, ask))
    assert repeat_ask(unanswered).count == 0
    answered_twice = turn(
        ask,
        (Source.CUSTOMER, ask),
        (Source.AI_AGENT, "Refunds take 5-10 business days."),
        (Source.CUSTOMER, "how long do refunds take to arrive?"),
        (Source.AI_AGENT, "Refunds take 5-10 business days."),
    )
    assert repeat_ask(answered_twice).count == 2


def test_category_keywords(parts: Parts) -> None:
    closure = detect_signals(turn("Please delete my account"), parts.categories).category
    assert closure.name == "account_closure"
    unknown = detect_signals(turn("What's the weather in Paris?"), parts.categories).category
    assert unknown.name == "unknown"
    assert unknown.confidence == 0


def test_an_unrecognised_charge_is_fraud_not_a_billing_dispute(parts: Parts) -> None:
    for text in ("There's a charge from you I don't recognise.", "I didn't authorize this"):
        assert detect_signals(turn(text), parts.categories).category.name == "fraud"
    twice = detect_signals(turn("You charged me twice for one order"), parts.categories)
    assert twice.category.name == "payment_dispute"
