"""The single-message fast paths of the signal set give exactly what the slow ones give:
the classifier's feature row (scikit-learn's TfidfVectorizer + hstack), the keyword
category's matches and the amount's matches (``re.finditer`` over the whole text)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from relaydesk.signals.categories import _WORD, keyword_matches, load_categories
from relaydesk.signals.detect import MONEY, amount, money_matches
from relaydesk.signals.features import FeatureSpace, FeatureWeights, space_from_state, space_state
from relaydesk.signals.taxonomy import load_taxonomy

DEMO = Path(__file__).resolve().parents[2] / "relaydesk" / "demo"
DIMENSIONS = 16

ODD_TEXTS = [
    "",
    " ",
    "\n\t  ",
    "a",
    "x" * 5000,
    "ÉCOLE café naïve — Ünïcödé, 日本語のテキスト",
    "😀😀 emoji only 🙃!!",
    "ab  \t\n cd   ef",
    "don't can't won't it's",
    "SR-20481 top up 4111-1111",
    "refund refund refund refund",
    "WHERE IS MY ORDER?!",
    "\ufb01ne ligatures and full-width \uff52\uff45\uff46\uff55\uff4e\uff44",
]


def _texts() -> list[str]:
    rng = random.Random(3)
    texts, _ = load_taxonomy(DEMO / "categories.yaml").labelled()
    words = " ".join(texts).split()
    made = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(150)]
    email = " ".join(rng.choice(words) for _ in range(700))  # ~4,000 characters
    return [*ODD_TEXTS, *made, email, email.upper()]


def _space(weights: FeatureWeights, dense: int) -> FeatureSpace:
    texts, _ = load_taxonomy(DEMO / "categories.yaml").labelled()
    return FeatureSpace(weights, dense).fit(texts)


def _unit_vectors(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, DIMENSIONS)).astype(np.float32)
    vectors[0, :4] = 0.0  # exact zeros are dropped from the sparse row, as csr_matrix does
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _sklearn_rows(space: FeatureSpace, texts: list[str], vectors: np.ndarray | None) -> np.ndarray:
    """scikit-learn's rows: more than one text goes through TfidfVectorizer and hstack."""
    assert len(texts) > 1
    rows: np.ndarray = space.transform(texts, vectors).toarray()
    return rows


@pytest.mark.parametrize(
    ("weights", "dense"),
    [
        (FeatureWeights(), DIMENSIONS),
        (FeatureWeights(dense=0.0), 0),
        (FeatureWeights(words=0.0), DIMENSIONS),
        (FeatureWeights(chars=0.0), 0),
    ],
)
def test_one_message_gets_the_row_scikit_learn_gives(weights: FeatureWeights, dense: int) -> None:
    space = _space(weights, dense)
    texts = _texts()
    vectors = _unit_vectors(len(texts)) if dense else None
    expected = _sklearn_rows(space, texts, vectors)
    for i, text in enumerate(texts):
        row = space.transform([text], None if vectors is None else vectors[i : i + 1])
        assert row.shape == (1, expected.shape[1])
        assert row.dtype == np.float32
        assert row.has_sorted_indices
        np.testing.assert_allclose(row.toarray()[0], expected[i], rtol=1e-6, atol=1e-7)
        # The same columns are stored: no explicit zeros, none missing.
        assert set(row.indices) == set(np.flatnonzero(expected[i]))


def test_a_restored_space_reads_a_message_as_the_fitted_one() -> None:
    fitted = _space(FeatureWeights(), DIMENSIONS)
    restored = space_from_state(*space_state(fitted))
    vectors = _unit_vectors(len(_texts()))
    for i, text in enumerate(_texts()):
        first = fitted.transform([text], vectors[i : i + 1]).toarray()
        again = restored.transform([text], vectors[i : i + 1]).toarray()
        np.testing.assert_array_equal(first, again)


def test_refitting_forgets_the_old_vocabulary() -> None:
    space = FeatureSpace(FeatureWeights(dense=0.0), 0).fit(["apples and pears"] * 2)
    before = space.transform(["apples"], None)
    space.fit(["bananas split", "bananas again"])
    after = space.transform(["bananas"], None)
    assert before.shape != after.shape
    np.testing.assert_allclose(
        after.toarray(), space.transform(["bananas", "x"], None).toarray()[:1], rtol=1e-6
    )


def test_a_dense_space_still_needs_the_embedding() -> None:
    space = _space(FeatureWeights(), DIMENSIONS)
    with pytest.raises(ValueError, match="sentence embeddings"):
        space.transform(["hello"], None)


def _fuzz_texts() -> list[str]:
    rng = random.Random(0)
    pieces = ["$", "5", "$5", "5 usd", "12,000.50", "eur", "€ 3", "£1.5", "a5", "5a", "dollars",
              "refund", "pro", "products", "send it back", "hasn't arrived", "e-mail", "x",
              "order number", "Track my", "charged twice", "\n", "_pro", "pro_"]  # fmt: skip
    alphabet = "ab $€£5 0,.12 dollars usd eur refund order pro\n\t_-'é9"
    texts = list(ODD_TEXTS)
    for _ in range(3000):
        texts.append(" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 10))))
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))))
    return texts


def test_keyword_matches_are_exactly_the_patterns_matches() -> None:
    categories = load_categories(DEMO / "categories.yaml")
    assert all(category.first_words for category in categories)
    for text in _fuzz_texts():
        lowered = text.lower()
        words = frozenset(_WORD.findall(lowered))
        for category in categories:
            expected = [m.group(0) for m in category.pattern.finditer(lowered)]
            assert keyword_matches(category, lowered, words) == expected, (category.name, text)


def test_a_keyword_starting_with_punctuation_falls_back_to_the_whole_scan(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text(
        "categories:\n  - name: tags\n    keywords: ['#urgent', 'tag']\n", encoding="utf-8"
    )
    (category,) = load_categories(tmp_path / "categories.yaml")
    assert category.first_words is None
    lowered = "a#urgent tag, #urgent"
    words = frozenset(_WORD.findall(lowered))
    expected = [m.group(0) for m in category.pattern.finditer(lowered)]
    assert keyword_matches(category, lowered, words) == expected == ["#urgent", "tag"]


def test_money_matches_are_exactly_the_patterns_matches() -> None:
    for text in _fuzz_texts():
        assert [m.span() for m in money_matches(text)] == [
            m.span() for m in MONEY.finditer(text)
        ], text
    found = amount("I paid $1,250.50 and then 40 dollars, order SR-20481")
    assert found.value == 1250.5
    assert found.evidence == ("$1,250.50", "40 dollars")
