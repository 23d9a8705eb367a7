"""Whatever a customer types, every signal gives a defined result: drawn text of any script,
controls, emoji and lone surrogates, short or email-long, inside a conversation."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from factories import turn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relaydesk.conversations.models import Source
from relaydesk.signals import Signals, detect_signals
from relaydesk.signals.categories import Category, load_categories
from relaydesk.signals.classifier import CategoryClassifier, train_classifier
from relaydesk.signals.taxonomy import load_taxonomy

DEMO = Path(__file__).resolve().parents[2] / "relaydesk" / "demo" / "categories.yaml"
ANY_CHARACTER = st.characters(codec=None, categories=None)  # surrogates and controls included
WORDS = st.sampled_from(
    ["human", "person", "agent", "manager", "lawyer", "urgent", "refund", "$250", "talk to",
     "speak", "please", "NOW!!", "third time", "asap", "no", "не", "人工", "¿", "🙂", "\n"]
)  # fmt: skip
TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=200),
    st.lists(st.one_of(WORDS, st.text(ANY_CHARACTER, max_size=12)), max_size=60).map(" ".join),
    st.lists(WORDS, min_size=1, max_size=8).map(" ".join).map(lambda s: (s + " ") * 400),
)


@pytest.fixture(scope="module")
def categories() -> tuple[Category, ...]:
    return load_categories(DEMO)


@pytest.fixture(scope="module")
def classifier() -> CategoryClassifier:
    return train_classifier(load_taxonomy(DEMO), None)


def _defined(found: Signals) -> None:
    for signal in (found.human_request, found.manager_request, found.legal_threat,
                   found.urgency, found.out_of_scope, found.frustration):  # fmt: skip
        assert 0.0 <= signal.score <= 1.0
        assert math.isfinite(signal.score)
        assert isinstance(signal.value, bool)
    assert 0.0 <= found.category.confidence <= 1.0
    assert found.repeat_ask.count >= 0
    assert -1.0 <= found.frustration.trend <= 1.0


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=TEXT, earlier=TEXT)  # fmt: skip
def test_any_text_gives_defined_signals(
    categories: tuple[Category, ...], classifier: CategoryClassifier, text: str, earlier: str
) -> None:
    conversation = turn(text, (Source.CUSTOMER, earlier), (Source.AI_AGENT, "Here is how."))
    _defined(detect_signals(conversation, categories))
    _defined(detect_signals(conversation, categories, classifier=classifier))
