"""A long text is tokenized from its head when the head fills the model's window: the model's
input must be exactly the whole text's, or vectors and memo keys would change.

The property tests shrink the window (32 tokens) and the head (drawn), so that heads which
just fill the window, and heads which fall short, come up in most examples."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from relaydesk.knowledge import embeddings
from relaydesk.knowledge.embeddings import HEAD_CHARS, _Batcher, _head, model_dir

WINDOW = 32
WORDS = [
    "refund", "Order", "SR-20481", "didn't", "naïve", "café", "東京", "😀", "e\u0301", "a" * 40,
    "x" * 150, "$250.00", "--", "...", "\u00a0", "\x1c", "\t", "\u200b", "I'm", "ÆØÅ", "ß",
    "internationalisation", "running",
]  # fmt: skip
SEPARATORS = [" ", "\n", "  ", "", "\r\n", "\x1c", "\x1f", "\u00a0", "\u2003", "\u0301 "]
texts = st.lists(
    st.tuples(st.sampled_from(WORDS) | st.text(max_size=12), st.sampled_from(SEPARATORS)),
    min_size=5,
    max_size=300,
).map(lambda parts: "".join(word + separator for word, separator in parts))
heads = st.integers(min_value=10, max_value=400)
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def small() -> tuple[_Batcher, Tokenizer]:
    plain = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    plain.enable_truncation(WINDOW)
    plain.no_padding()  # the file pads to 128
    with patch.object(embeddings, "MAX_TOKENS", WINDOW):
        return _Batcher(model_dir(), batch_size=4), plain


@SLOW
@given(text=texts, head_chars=heads)
def test_the_head_gives_the_whole_texts_input(
    small: tuple[_Batcher, Tokenizer], text: str, head_chars: int
) -> None:
    batcher, plain = small
    with (
        patch.object(embeddings, "MAX_TOKENS", WINDOW),
        patch.object(embeddings, "HEAD_CHARS", head_chars),
    ):
        assert batcher.token_ids(text) == tuple(plain.encode(text).ids)


@SLOW
@given(batch=st.lists(texts, min_size=1, max_size=4), head_chars=heads)
def test_a_batch_is_encoded_as_whole_texts_would_be(
    small: tuple[_Batcher, Tokenizer], batch: list[str], head_chars: int
) -> None:
    batcher, plain = small
    with (
        patch.object(embeddings, "MAX_TOKENS", WINDOW),
        patch.object(embeddings, "HEAD_CHARS", head_chars),
    ):
        ids, mask = batcher.encode(batch)
    for row, text in enumerate(batch):
        assert list(ids[row][: mask[row].sum()]) == plain.encode(text).ids


def test_an_email_is_read_from_its_head_at_the_real_sizes() -> None:
    batcher = _Batcher(model_dir(), batch_size=1)
    plain = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    plain.enable_truncation(embeddings.MAX_TOKENS)
    plain.no_padding()
    email = "Hello, my order SR-20481 has not arrived and the tracking is stuck. " * 60
    assert len(_head(email)) < len(email)
    assert batcher.token_ids(email) == tuple(plain.encode(email).ids)


def test_the_head_is_cut_at_a_space_and_only_for_long_texts() -> None:
    short = "word " * 100
    assert _head(short) is short
    long = "word " * 1000
    head = _head(long)
    assert len(head) <= HEAD_CHARS
    assert long.startswith(head)
    assert long[len(head)] == " "
    unbroken = "x" * (HEAD_CHARS + 10)
    assert _head(unbroken) is unbroken
    # A character Python calls space but the tokenizer deletes is no place to cut.
    joined = ("y" * 100 + "\x1c") * 30
    assert _head(joined) is joined
