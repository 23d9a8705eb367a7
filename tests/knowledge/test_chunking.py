from __future__ import annotations

import itertools

import pytest

from relaydesk.knowledge.articles import Article, estimate_tokens, split_passages
from relaydesk.knowledge.embeddings import MAX_TOKENS

BODY = """Read this first.

# Delivery
## Times
Standard delivery takes 3 to 5 business days.

### Express
Express arrives next day.

#### Cut-off
Order before 2 pm.

## Costs
```
# a comment in code, not a heading
```
Free over $50.
"""


def article(body: str = BODY, title: str = "Shipping") -> Article:
    return Article(id="kb-1", title=title, body=body)


def test_sections_are_cut_at_the_first_three_heading_levels_and_keep_their_path() -> None:
    passages = split_passages(article())
    assert [p.headings for p in passages] == [
        (),
        ("Delivery", "Times"),
        ("Delivery", "Times", "Express"),
        ("Delivery", "Costs"),
    ]
    assert [p.heading for p in passages] == ["Shipping", "Times", "Express", "Costs"]


def test_deeper_headings_and_headings_in_code_stay_in_the_text() -> None:
    express, costs = split_passages(article())[2:]
    assert "#### Cut-off\nOrder before 2 pm." in express.text
    assert "# a comment in code" in costs.text


def test_the_embedded_text_carries_title_and_headings() -> None:
    express = split_passages(article())[2]
    assert express.search_text == "Shipping\nDelivery\nTimes\nExpress\n" + express.text


def test_a_top_heading_repeating_the_title_is_not_repeated() -> None:
    passages = split_passages(article("# Shipping\nIt ships.\n## Costs\nFree.", "Shipping"))
    assert [(p.heading, p.headings) for p in passages] == [
        ("Shipping", ()),
        ("Costs", ("Costs",)),
    ]


def long_section(sentences: int = 90) -> str:
    return "## Fees\n" + " ".join(
        f"Fee number {i} applies to international transfers above {i * 100} dollars."
        for i in range(sentences)
    )


def test_a_long_section_becomes_overlapping_windows_cut_at_sentence_ends() -> None:
    windows = split_passages(article(long_section()))
    assert len(windows) > 2
    assert [w.window for w in windows] == list(range(len(windows)))
    assert {w.heading for w in windows} == {"Fees"}
    for earlier, later in itertools.pairwise(windows):
        last_sentence = earlier.text.rsplit(". ", 1)[-1]
        assert later.text.startswith("Fee number")
        assert last_sentence in later.text  # the overlap
        assert earlier.text.endswith(".")


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    from relaydesk.knowledge.embeddings import model_dir

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()  # the file pads and truncates to 128: count every piece
    tokenizer.no_truncation()
    return tokenizer


def test_every_window_fits_the_models_window(tokenizer) -> None:  # type: ignore[no-untyped-def]
    tricky = (
        long_section(60)
        + " "
        + " ".join(
            ["Pneumonoultramicroscopicsilicovolcanoconiosis-style hyphenated compound words."] * 40
            + ["A run-on list item without any full stop"] * 30
        )
    )
    for passage in split_passages(article(tricky, title="International wire transfer fees")):
        pieces = len(tokenizer.encode(passage.search_text).ids)  # with [CLS] and [SEP]
        assert pieces <= MAX_TOKENS, passage.text[:80]


def test_the_estimate_is_never_below_the_real_count(tokenizer) -> None:  # type: ignore[no-untyped-def]
    samples = ["How do I reset my password?", "IBAN: GB33BUKB20201555555555", long_section(5)]
    for text in samples:
        real = len(tokenizer.encode(text, add_special_tokens=False).ids)
        assert estimate_tokens(text) >= real


def test_short_sections_are_left_whole() -> None:
    passages = split_passages(article("## A\nOne. Two. Three."))
    assert [p.text for p in passages] == ["One. Two. Three."]
