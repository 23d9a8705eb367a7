from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from relaydesk.knowledge.embeddings import Vectors
from relaydesk.resolver.grounding import (
    CONFLICT_CAP,
    THRESHOLD,
    answer_support,
    split_sentences,
    support,
    support_all,
)

RETURNS = (
    "You have 30 days to return unworn shoes. Final-sale items cannot be returned. "
    "Refunds reach your card within 5 business days of the return arriving."
)
SHIPPING = "Standard shipping costs $4.95 and takes 3 to 5 days. Orders over $50 ship free."


@pytest.mark.parametrize(
    ("sentence", "supported"),
    [
        ("You can return unworn shoes within 30 days.", True),
        ("You can return unworn shoes within 60 days.", False),
        ("You can return unworn shoes within thirty days.", True),
        ("You can return unworn shoes within 30 weeks.", False),
        ("Refunds reach your card within 5 days.", True),
        ("Refunds reach your card within 7 business days.", False),
        ("Shipping is free on orders over $50.", True),
        ("Shipping is free on orders over $40.", False),
        ("Standard shipping costs $5.95.", False),
    ],
)
def test_numbers_amounts_and_durations_must_match(sentence: str, supported: bool) -> None:
    result = support(sentence, [RETURNS, SHIPPING])
    assert result.supported is supported, result
    if not supported:
        assert result.score <= CONFLICT_CAP
        assert any("not stated" in c for c in result.conflicts)


@pytest.mark.parametrize(
    ("sentence", "supported"),
    [
        ("Final-sale items cannot be returned.", True),
        ("Final sale items can't be returned.", True),
        ("Final-sale items can be returned.", False),
        ("You cannot return unworn shoes.", False),
    ],
)
def test_a_negation_on_one_side_only_is_not_support(sentence: str, supported: bool) -> None:
    result = support(sentence, [RETURNS])
    assert result.supported is supported, result


def test_the_contradicting_sentence_is_shown_as_evidence() -> None:
    result = support("Final-sale items can be returned.", [RETURNS])
    assert result.evidence == "Final-sale items cannot be returned."
    assert result.conflicts == ("negation differs",)


def test_a_paraphrase_with_the_same_facts_is_supported() -> None:
    result = support("Unworn shoes can be sent back for 30 days.", [RETURNS])
    # "sent back" is not "return": lexically a partial match; the words that carry facts are in.
    assert result.coverage >= 0.6
    assert result.conflicts == ()


def test_a_claim_about_something_else_is_unsupported() -> None:
    result = support("We offer free gift wrapping on every order.", [RETURNS, SHIPPING])
    assert not result.supported
    assert result.score < 0.5


def test_courtesy_makes_no_claim_but_an_answer_needs_one() -> None:
    results = support_all(["Sure, happy to help!"], [RETURNS])
    assert not results[0].claim
    assert results[0].score == 1.0
    assert answer_support(results) == 0.0


def test_an_answer_is_as_supported_as_its_weakest_claim() -> None:
    results = support_all(
        ["You have 30 days to return unworn shoes.", "Refunds take 60 days."], [RETURNS]
    )
    assert answer_support(results) == results[1].score < THRESHOLD <= results[0].score


def test_the_best_passage_is_named() -> None:
    result = support("Orders over $50 ship free.", [RETURNS, SHIPPING])
    assert result.passage == 1
    assert result.evidence == "Orders over $50 ship free."


def test_words_from_the_question_count_half() -> None:
    sentence = "Your running shoes can be returned within 30 days if unworn."
    plain = support(sentence, [RETURNS])
    asked = support(sentence, [RETURNS], context="Can I return my running shoes?")
    assert asked.coverage > plain.coverage


class FakeEmbedder:
    """Unit vectors: one direction per known text, others orthogonal-ish."""

    model_id = "fake"
    dimensions = 3

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows = [[1.0, 0.0, 0.0] if "shoe" in t else [0.0, 1.0, 0.0] for t in texts]
        return np.asarray(rows, dtype=np.float32)


def test_an_embedder_adds_similarity_to_the_score() -> None:
    result = support("Unworn shoes go back within 30 days.", [RETURNS], embedder=FakeEmbedder())
    assert result.similarity == 1.0
    lexical = support("Unworn shoes go back within 30 days.", [RETURNS])
    assert result.score > lexical.score


def test_sentences_split_on_stops_but_not_abbreviations() -> None:
    text = "- Returns take approx. 5 days, e.g. for shoes.\n**Final** sale is final! ok then"
    assert split_sentences(text) == [
        "Returns take approx. 5 days, e.g. for shoes.",
        "Final sale is final!",
        "ok then",
    ]
