from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.signals.categories import Category, classify, load_categories


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "categories.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _load(tmp_path: Path, **keywords: str) -> tuple[Category, ...]:
    """Categories named by the arguments, each with the YAML keyword list given."""
    lines = [f"  - name: {name}\n    keywords: {words}\n" for name, words in keywords.items()]
    return load_categories(_write(tmp_path, "categories:\n" + "".join(lines)))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("hello: 1\n", "expected a 'categories' list"),
        ("- just a list\n", "expected a 'categories' list"),
        ("categories:\n  - keywords: [order]\n", "category 1 needs a 'name'"),
        ("categories:\n  - plain text\n", "category 1 needs a 'name'"),
        ("categories:\n  - name: orders\n", "category 'orders' has no keywords"),
        (
            "categories:\n  - name: orders\n    keywords: order, parcel\n",
            "category 'orders': keywords: expected a YAML list",
        ),
        (
            "categories:\n  - name: orders\n    keywords: [order, '']\n",
            "category 'orders': keywords: an entry is empty",
        ),
        (
            "categories:\n  - name: orders\n    keywords: [order]\n    examples: where is it\n",
            "category 'orders': examples: expected a YAML list",
        ),
    ],
)
def test_a_malformed_categories_file_says_what_is_wrong(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_categories(_write(tmp_path, body))


def test_keywords_are_read_as_given(tmp_path: Path) -> None:
    (category,) = _load(tmp_path, errors="[404, ' Error Code ']")
    assert category.keywords == ("404", "Error Code")
    assert classify("I get a 404 and an error code", (category,)).evidence == ("404", "error code")


def test_a_keyword_listed_by_two_categories_is_refused(tmp_path: Path) -> None:
    expected = "keyword \"don't recognise\" is listed by both 'payment_dispute' and 'fraud'"
    with pytest.raises(ValueError, match=expected):
        _load(
            tmp_path,
            payment_dispute="[charged twice, Don't Recognise]",
            fraud="[fraud, don't recognise]",
        )
    assert _load(tmp_path, fraud="[fraud, hacked, fraud]")[0].keywords == (
        "fraud",
        "hacked",
        "fraud",
    )


def test_between_as_many_matches_the_category_named_first_wins(tmp_path: Path) -> None:
    categories = _load(tmp_path, returns="[return, send back]", refunds="[refund, money back]")
    asked = classify("When will I get my refund? You said the return was approved", categories)
    assert (asked.name, asked.evidence) == ("refunds", ("refund",))
    assert classify("Can I return these, and is the refund quick?", categories).name == "returns"
    # More matches still win, wherever they are.
    many = classify("a refund? I want to send back and return these", categories)
    assert (many.name, many.evidence) == ("returns", ("send back", "return"))
    assert many.confidence == round(2 / 3.5, 3)


def test_a_high_risk_category_wins_a_tie(tmp_path: Path) -> None:
    categories = _load(tmp_path, billing="[pending charge, statement]", fraud="[don't recognise]")
    text = "There's a pending charge I don't recognise"
    assert classify(text, categories).name == "billing"  # named first
    assert classify(text, categories, frozenset({"fraud"})).name == "fraud"
    # A tie only: more keywords of the other category still win (each counts once).
    more = "A pending charge on my statement that I don't recognise"
    assert classify(more, categories, frozenset({"fraud"})).name == "billing"
