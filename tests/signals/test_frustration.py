from __future__ import annotations

from factories import turn

from relaydesk.conversations.models import Source
from relaydesk.signals.frustration import (
    CONTEXT,
    CONTEXT_WEIGHTS,
    combine,
    context_features,
    context_risk,
    frustration,
    message_features,
)
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


FAILED_TWICE = (
    (Source.CUSTOMER, "I need a train to Ely on Tuesday."),
    (Source.AI_AGENT, "Sorry, there are no trains to Ely on Tuesday."),
    (Source.CUSTOMER, "Can you look for Tuesday morning then?"),
    (Source.AI_AGENT, "Unfortunately I could not find any trains on Tuesday."),
)


def test_the_learned_part_waits_for_the_ai_to_reply() -> None:
    assert context_features(turn("No, are you sure? Check again.")) == {}
    assert context_risk({}) == 0


def test_a_conversation_going_badly_fires_and_names_why() -> None:
    signal = frustration(turn("No, are you sure? I need to leave on Tuesday.", *FAILED_TWICE))
    assert signal.value
    assert {CONTEXT, "AI failure streak", "checks the AI"} <= set(signal.evidence)
    assert signal.evidence.index(CONTEXT) < signal.evidence.index("checks the AI")


def test_thanks_after_a_booking_stays_calm() -> None:
    booked = (Source.AI_AGENT, "Booked, reference ABC123. Anything else I can help with?")
    done = turn("Great, thanks, that's all I need.", (Source.CUSTOMER, "Book it for two."), booked)
    signal = frustration(done)
    assert not signal.value
    assert signal.score < 0.01
    assert CONTEXT not in signal.evidence


def test_each_learned_input_moves_the_risk_its_way() -> None:
    base = {"AI failure streak": 1.0}
    assert context_risk(base | {"checks the AI": 1.0}) > context_risk(base)
    assert context_risk(base | {"thanks": 1.0}) < context_risk(base)
    assert all(0 < context_risk({name: 1.0}) < 1 for name in CONTEXT_WEIGHTS)


def test_the_learned_part_only_adds_to_the_rules() -> None:
    # A long, successful conversation cannot talk the rules down: profanity still fires.
    calm = [(Source.CUSTOMER, "a table for two"), (Source.AI_AGENT, "Booked. Anything else?")]
    for text in ("wtf is this crap, where is my refund", "THIS IS RIDICULOUS!!", "thanks"):
        with_history = frustration(turn(text, *calm * 3))
        rules = combine(message_features(text))
        assert with_history.score >= rules
    assert frustration(turn("wtf is this crap, where is my refund", *calm * 3)).value


def test_a_long_message_reads_a_bounded_prefix() -> None:
    long = turn("are you sure? " + "word " * 5000, *FAILED_TWICE)
    assert context_features(long)["message length"] == 1.0
    assert 0 < frustration(long).score <= 1


def test_the_windowed_vader_scores_exactly_as_vader() -> None:
    """The speed-up hands VADER's negation and idiom checks a window of the words: every
    score must stay VADER's own, including negations, idioms and boosters near both ends."""
    import random

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from relaydesk.signals.frustration import _WindowedVader

    words = (
        "not never no nor without doubt so this kind of sort the bomb cut me some slack "
        "at least very least good bad terrible great awful love hate yeah right but "
        "extremely hardly NOT GOOD happy sad isn't wasn't don't can't help refund late "
        "broken :) :( !!! ? kiss of death to die for hand mouth upper break a leg blowing smoke "
        "friend truly really"
    ).split()
    rng = random.Random(4)
    reference, windowed = SentimentIntensityAnalyzer(), _WindowedVader()
    texts = [" ".join(rng.choices(words, k=rng.randint(1, 60))) for _ in range(2000)]
    texts += ["never so good", "without doubt bad", "the bomb", "at least not awful", ""]
    texts += ["my truly good friend kiss of death", "a really good friend kiss of death here"]
    for text in texts:
        assert windowed.polarity_scores(text) == reference.polarity_scores(text), text
