"""The trained classifier on the message path: used when given, out of scope never hides a
category, and its signals reach the policy's facts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from factories import turn

from relaydesk.pipeline import Parts, run
from relaydesk.policy import Route
from relaydesk.policy.facts import FACTS
from relaydesk.settings import Settings
from relaydesk.signals import CategorySignal, Signal, Signals, detect_signals
from relaydesk.signals.classifier import CategoryClassifier, Classification
from relaydesk.startup import load_parts


class FixedClassifier(CategoryClassifier):
    """Says the same thing about every message."""

    def __init__(self, category: str, confidence: float, out_of_scope: bool) -> None:
        self.category = CategorySignal(name=category, confidence=confidence, evidence=("fixed",))
        self.out_of_scope = Signal(value=out_of_scope, score=0.9 if out_of_scope else 0.1)
        self.calls: list[bool] = []

    def classify(self, message: object, keep_category: bool = False) -> Classification:
        self.calls.append(keep_category)
        intent = self.category.model_copy(update={"name": f"{self.category.name}_intent"})
        return Classification(self.category, intent, self.out_of_scope)


@pytest.fixture(scope="module")
def trained() -> Parts:
    return load_parts(Settings(category_classifier="trained"))


def test_the_keywords_name_the_category_unless_the_trained_classifier_is_chosen(
    parts: Parts,
) -> None:
    assert parts.classifier is None


def test_the_path_loads_and_uses_the_trained_classifier(trained: Parts) -> None:
    parts = trained
    assert parts.classifier is not None
    signals = detect_signals(turn("Please delete my account"), parts.categories,
                             classifier=parts.classifier)  # fmt: skip
    assert signals.category.name == "account_closure"
    assert signals.intent.name != "unknown"
    assert signals.intent.confidence > 0
    assert not signals.out_of_scope.value


def test_a_given_classifier_decides_the_category(parts: Parts) -> None:
    fixed = FixedClassifier("subscription", 0.9, out_of_scope=False)
    signals = detect_signals(turn("Where is my order?"), parts.categories, classifier=fixed)
    assert fixed.calls == [True]
    assert (signals.category.name, signals.intent.name) == ("subscription", "subscription_intent")
    # The keyword matches are kept as evidence beside the classifier's.
    assert "fixed" in signals.category.evidence
    assert any(e.startswith("keywords for orders") for e in signals.category.evidence)


def test_without_a_classifier_the_keywords_decide_and_nothing_is_out_of_scope(
    parts: Parts,
) -> None:
    signals = detect_signals(turn("What's the weather in Paris?"), parts.categories)
    assert signals.intent.name == "unknown"
    assert not signals.out_of_scope.value


def test_out_of_scope_never_hides_a_high_risk_category(parts: Parts) -> None:
    fixed = FixedClassifier("fraud", 0.3, out_of_scope=True)
    signals = detect_signals(turn("hmm so about that thing"), parts.categories, classifier=fixed)
    assert signals.category.name == "fraud"
    assert signals.out_of_scope.value
    decision = run(turn("hmm so about that thing"), replace(parts, classifier=fixed)).decision
    assert decision.matched_rules[0].id == "high-risk-category"
    assert (decision.route, decision.team) == (Route.HANDOFF, "specialists")


def test_the_real_classifier_keeps_the_closest_category_when_out_of_scope(
    trained: Parts,
) -> None:
    parts = trained
    assert parts.classifier is not None
    signals = detect_signals(turn("Tell me a joke about penguins"), parts.categories,
                             classifier=parts.classifier)  # fmt: skip
    assert signals.out_of_scope.value
    assert signals.category.name != "unknown"


def test_an_unsure_classifier_defers_to_the_keywords_but_never_from_high_risk(
    parts: Parts,
) -> None:
    text = "I want a refund of $250 for the shoes, they fell apart"
    unsure = FixedClassifier("products", 0.3, out_of_scope=False)
    signals = detect_signals(turn(text), parts.categories, classifier=unsure)
    assert signals.category.name == "refunds"
    assert "classifier's guess products (0.30)" in signals.category.evidence
    risky = FixedClassifier("fraud", 0.3, out_of_scope=False)
    kept = detect_signals(turn(text), parts.categories, classifier=risky,
                          high_risk=frozenset({"fraud"}))  # fmt: skip
    assert kept.category.name == "fraud"
    sure = FixedClassifier("products", 0.9, out_of_scope=False)
    assert detect_signals(turn(text), parts.categories, classifier=sure).category.name == (
        "products"
    )


def test_keywords_naming_a_high_risk_category_always_win(parts: Parts) -> None:
    sure = FixedClassifier("account", 0.9, out_of_scope=False)
    signals = detect_signals(turn("Please close my account"), parts.categories,
                             classifier=sure, high_risk=frozenset({"account_closure"}))  # fmt: skip
    assert signals.category.name == "account_closure"


def test_intent_and_out_of_scope_are_facts(trained: Parts) -> None:
    parts = trained
    for path in ("signals.intent.name", "signals.intent.confidence",
                 "signals.out_of_scope.value", "signals.out_of_scope.score",
                 "signals.out_of_scope.evidence"):  # fmt: skip
        assert path in FACTS
    facts = run(turn("What's the weather in Paris tomorrow?"), parts).facts["signals"]
    assert facts["out_of_scope"]["value"] is True
    assert 0.0 <= facts["out_of_scope"]["score"] <= 1.0
    assert facts["out_of_scope"]["evidence"]
    assert set(facts["intent"]) == {"name", "confidence"}


def test_signals_stored_before_the_classifier_still_read() -> None:
    detector = {"value": False, "score": 0.0, "evidence": []}
    names = ("human_request", "manager_request", "legal_threat", "urgency", "frustration")
    old = {
        "category": {"name": "orders", "confidence": 0.6},
        **dict.fromkeys(names, detector),
        "repeat_ask": {"count": 0},
    }
    signals = Signals.model_validate(old)
    assert signals.intent.name == "unknown"
    assert not signals.out_of_scope.value
