"""The embedder memo: a message embedded for the classifier is not embedded again for
retrieval, and the vectors are the embedder's own, bit for bit."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence

import numpy as np
import pytest
from model_cache import real_embedder

from relaydesk.knowledge.embeddings import (
    BULK,
    MEMO_SIZE,
    Embedder,
    MemoEmbedder,
    Vectors,
    memoised,
)


class CountingEmbedder:
    """A deterministic fake: each text's vector is seeded by the text; every text is counted."""

    model_id = "fake"
    dimensions = 8

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.seen.extend(texts)
        return np.stack([self.vector(text) for text in texts]) if texts else np.zeros((0, 8))

    @staticmethod
    def vector(text: str) -> Vectors:
        rng = np.random.default_rng(sum(text.encode()) + len(text))
        return rng.normal(size=8).astype(np.float32)


class StrippingEmbedder(CountingEmbedder):
    """Like ONNX: surrounding spaces give the same model input, so the same memo entry, and
    a vector is computed from the key (the model input) without reading the text again."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[Hashable] = []
        self.keyed: list[str] = []

    def memo_key(self, text: str) -> Hashable:
        self.keyed.append(text)
        return text.strip()

    def embed_keys(self, keys: Sequence[Hashable]) -> Vectors:
        self.keys.extend(keys)
        return np.stack([self.vector(str(key)) for key in keys])


def test_the_second_embedding_of_a_message_is_free() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner, size=4)
    first = memo.embed(["where is my refund?"])
    again = memo.embed(["where is my refund?"])
    assert inner.seen == ["where is my refund?"]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first[0], CountingEmbedder.vector("where is my refund?"))
    assert (memo.model_id, memo.dimensions) == ("fake", 8)


def test_a_batch_mixes_recalled_and_fresh_vectors_in_order() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner, size=4)
    memo.embed(["b"])
    vectors = memo.embed(["a", "b", "c", "a"])
    assert inner.seen == ["b", "a", "c"]  # "a" twice in one call is embedded once
    expected = np.stack([CountingEmbedder.vector(t) for t in ["a", "b", "c", "a"]])
    np.testing.assert_array_equal(vectors, expected)


def test_the_least_recently_used_text_is_forgotten() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner, size=2)
    memo.embed(["one"])
    memo.embed(["two"])
    memo.embed(["one"])  # "one" is now the most recent
    memo.embed(["three"])  # forgets "two"
    inner.seen.clear()
    memo.embed(["one"])
    memo.embed(["three"])
    assert inner.seen == []
    memo.embed(["two"])
    assert inner.seen == ["two"]


def test_bulk_embedding_goes_straight_through_and_keeps_the_memo() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner, size=2)
    memo.embed(["message"])
    passages = [f"passage {i}" for i in range(5)]
    memo.embed(passages)
    memo.embed(passages[:1])
    memo.embed(["message"])
    assert inner.seen == ["message", *passages, "passage 0"]  # the memo kept "message"


def test_a_caller_changing_its_vectors_does_not_change_the_memo() -> None:
    memo = MemoEmbedder(CountingEmbedder(), size=2)
    vectors = memo.embed(["text"])
    vectors[:] = 0.0
    np.testing.assert_array_equal(memo.embed(["text"])[0], CountingEmbedder.vector("text"))


def test_the_inner_embedders_key_decides_what_is_the_same_text() -> None:
    inner = StrippingEmbedder()
    memo = MemoEmbedder(inner, size=2)
    first = memo.embed(["refund? "])
    again = memo.embed(["refund?"])
    assert inner.keys == ["refund?"]
    assert inner.seen == []  # embedded from the key
    np.testing.assert_array_equal(first, again)


def test_the_same_text_again_is_not_even_keyed() -> None:
    inner = StrippingEmbedder()
    memo = MemoEmbedder(inner, size=2)
    memo.embed(["a long email ..."])
    memo.embed(["a long email ..."])
    assert inner.keyed == ["a long email ..."]  # tokenizing an email costs ~1.5 ms


def test_threads_share_the_memo_safely() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner, size=16)
    texts = [f"message {i % 8}" for i in range(400)]
    wrong: list[str] = []

    def work(start: int) -> None:
        for text in texts[start::4]:
            if not np.array_equal(memo.embed([text])[0], CountingEmbedder.vector(text)):
                wrong.append(text)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(set(inner.seen)) == 8
    assert len(inner.seen) < 40  # a few races may embed a text twice, never every call


def test_recall_never_computes_and_remember_makes_embedding_free() -> None:
    inner = StrippingEmbedder()
    memo = MemoEmbedder(inner, size=4)
    assert memo.recall("refund?") is None
    memo.embed([" refund? "])
    recalled = memo.recall("refund?")  # the same model input, under another text
    assert recalled is not None
    np.testing.assert_array_equal(recalled, CountingEmbedder.vector("refund?"))
    stored = CountingEmbedder.vector("kept earlier")
    memo.remember({"kept earlier": stored})
    np.testing.assert_array_equal(memo.embed(["kept earlier"])[0], stored)
    assert inner.keys == ["refund?"]  # nothing embedded but the first message


def test_bulk_calls_bypass_even_a_large_memo() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner, size=MEMO_SIZE)
    passages = [f"passage {i}" for i in range(BULK + 1)]
    memo.embed(passages)
    memo.embed(passages[:1])
    assert inner.seen == [*passages, "passage 0"]


def test_memoised_shares_one_memo_per_embedder() -> None:
    inner = CountingEmbedder()
    shared = memoised(inner)
    assert memoised(inner) is shared
    assert memoised(shared) is shared
    assert memoised(CountingEmbedder()) is not shared


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return real_embedder(tmp_path_factory)


def test_the_real_embedders_vectors_are_unchanged_bit_for_bit(embedder: Embedder) -> None:
    texts = [
        "Where is my refund?",
        "Where is my refund?  \n",  # the same token ids: the same memo entry
        "",
        "Can I speak to a human please, this is the third time I ask " * 8,
        "ÉCOLE café 日本語",
        "my parcel never came " * 100,  # past the 256-token window ...
        "my parcel never came " * 100 + "signed, Ann",  # ... so the same model input
    ]
    memo = MemoEmbedder(embedder, size=8)
    for text in texts:
        plain = embedder.embed([text])
        np.testing.assert_array_equal(memo.embed([text]), plain)
        np.testing.assert_array_equal(memo.embed([text]), plain)  # recalled
    assert len(memo._by_key) == len(texts) - 2  # model inputs kept
