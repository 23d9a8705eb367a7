from __future__ import annotations

from factories import turn

from relaydesk.conversations.models import Source
from relaydesk.signals.frustration import combine, frustration, message_features
from relaydesk.signals.types import FrustrationSignal, Signal, Signals


def test_calm_message_scores_zero() -> None:
    signal = frustration(turn("Where is my order?"))
    assert signal.score == 0
    assert not signal.value
    assert signal.trend == 0


def test_markers_add_up_and_are_named() -> None:
    annoyed = frustration(turn("This is ridiculous."))
    furious = frustration(turn("THIS IS RIDICULOUS AND UNACCEPTABLE, THIRD TIME ASKING!!"))
    assert 0 < annoyed.score < furious.score
    assert furious.value
    assert {"mostly capitals", "repeated punctuation", "angry words", "asked again"} <= set(
        furious.evidence
    )
    assert "RIDICULOUS" in furious.evidence


def test_profanity_and_typos() -> None:
    assert frustration(turn("wtf is this crap, where is my refund")).value


def test_the_ai_failing_before_makes_pushback_count() -> None:
    pushback = "are you sure? I need it on tuesday"
    after_success = turn(pushback, (Source.CUSTOMER, "a train on tuesday"),
                         (Source.AI_AGENT, "TR101 leaves at 9:00."))  # fmt: skip
    after_failure = turn(pushback, (Source.CUSTOMER, "a train on tuesday"),
                         (Source.AI_AGENT, "Sorry, there are no trains on Tuesday."))  # fmt: skip
    assert frustration(after_failure).score > frustration(after_success).score
    assert "AI apologised or found nothing" in frustration(after_failure).evidence


def test_the_ai_looping_is_a_feature() -> None:
    same = "I'm sorry, I couldn't find that. Could you rephrase your question?"
    looped = turn("ok", (Source.CUSTOMER, "my parcel"), (Source.AI_AGENT, same),
                  (Source.CUSTOMER, "my parcel!"), (Source.AI_AGENT, same))  # fmt: skip
    assert "AI looping" in frustration(looped).evidence


def test_trend_rises_over_an_angry_conversation() -> None:
    history = [
        (Source.CUSTOMER, "Hi, where is my order?"),
        (Source.AI_AGENT, "It ships in 2 days."),
        (Source.CUSTOMER, "It has been a week, this is annoying."),
        (Source.AI_AGENT, "Sorry, I can't find more."),
        (Source.CUSTOMER, "This is ridiculous, I already told you the order number!"),
        (Source.AI_AGENT, "Sorry, I can't find more."),
    ]
    angry = frustration(turn("THIRD TIME!!! USELESS. WHERE IS MY F***ING ORDER", *history))
    assert angry.trend > 0.1
    assert angry.value
    calming = frustration(turn("ok thanks, that helps", *history))
    assert calming.trend < angry.trend


def test_repeating_an_answered_ask_counts() -> None:
    ask = "how long do refunds take"
    repeated = turn(ask, (Source.CUSTOMER, ask), (Source.AI_AGENT, "5-10 days."))
    assert "repeat of an answered ask" in frustration(repeated).evidence


def test_noisy_or_never_exceeds_one() -> None:
    everything = dict.fromkeys(message_features("WTF!! THIRD TIME, USELESS SCAM"), 1.0)
    assert 0 < combine(everything) <= 1


def test_empty_huge_and_non_text_messages() -> None:
    assert frustration(turn("")).score == 0
    assert 0 <= frustration(turn("ANGRY!! " * 50_000)).score <= 1
    assert 0 <= frustration(turn("这太荒谬了!! c'est ridicule")).score <= 1


def test_signals_accept_a_plain_signal_for_frustration() -> None:
    quiet = Signal(value=False, score=0.0)
    signals = Signals.model_validate({
        "category": {"name": "unknown", "confidence": 0.0}, "human_request": quiet,
        "manager_request": quiet, "legal_threat": quiet, "urgency": quiet,
        "frustration": Signal(value=True, score=0.7, evidence=("useless",)),
        "repeat_ask": {"count": 0},
    })  # fmt: skip
    assert isinstance(signals.frustration, FrustrationSignal)
    assert signals.frustration.trend == 0
    assert signals.frustration.evidence == ("useless",)
