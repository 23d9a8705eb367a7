from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from model_cache import real_embedder

from relaydesk.knowledge.articles import Article
from relaydesk.knowledge.embeddings import Embedder, Vectors
from relaydesk.knowledge.index import KnowledgeIndex, fuse, top_k
from relaydesk.knowledge.vector_cache import MemoryVectorCache

ACCOUNTS = [
    Article(id="password", title="Resetting your password",
            body="Choose Forgot password on the sign-in page and follow the link we email you."),
    Article(id="details", title="Updating account details",
            body="Change your name, login email or phone number under Account > Details."),
    Article(id="shipping", title="Delivery times",
            body="## Standard\nStandard delivery takes 3 to 5 business days.\n"
                 "## Express\nExpress orders arrive the next day."),
]  # fmt: skip
POLICIES = (
    "Our stores accept returns within 30 days. Gift cards never expire. Loyalty points are "
    "added after delivery. Part number RX-7731 is covered by the two-year warranty. Opening "
    "hours are 9 to 5 on weekdays and 10 to 4 on Saturdays."
)
PARTS = [
    Article(id="policies", title="Store policies", body=POLICIES),
    Article(id="adapter", title="RX-7713 adapter", body="The RX-7713 adapter charges phones."),
    Article(id="cable", title="RX-7137 cable", body="The RX-7137 cable connects chargers."),
]


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimensions = inner.dimensions
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return real_embedder(tmp_path_factory)


def first(index: KnowledgeIndex, query: str, mode: str) -> str:
    return index.search(query, k=3, mode=mode)[0].passage.article.id  # type: ignore[arg-type]


def test_hybrid_finds_a_paraphrase_that_bm25_misses(embedder: Embedder) -> None:
    index = KnowledgeIndex(ACCOUNTS, embedder=embedder)
    query = "I can't get into my account, what do I do"
    assert first(index, query, "bm25") == "details"  # "account" is its only shared word
    assert first(index, query, "hybrid") == "password"
    assert index.mode == "hybrid"


def test_hybrid_finds_an_exact_code_that_dense_confuses(embedder: Embedder) -> None:
    index = KnowledgeIndex(PARTS, embedder=embedder)
    assert first(index, "RX-7731", "dense") == "cable"  # a look-alike code
    assert first(index, "RX-7731", "hybrid") == "policies"
    assert first(index, "RX-7731", "bm25") == "policies"


def test_hits_carry_their_component_scores(embedder: Embedder) -> None:
    index = KnowledgeIndex(ACCOUNTS, embedder=embedder)
    hits = index.search("how long does express delivery take", k=10)
    assert len(hits) == len(index.passages) == 4  # one hit per passage
    assert len({id(hit.passage) for hit in hits}) == 4
    best = hits[0]
    assert best.passage.heading == "Express"
    assert best.dense is not None
    assert 0 < best.dense <= 1
    assert best.relevance == best.dense
    assert best.bm25 > 0
    assert best.coverage > 0.5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[-1].relevance < best.relevance


def test_unchanged_passages_are_never_embedded_again(embedder: Embedder) -> None:
    counting, cache = Counting(embedder), MemoryVectorCache()
    KnowledgeIndex(ACCOUNTS, embedder=counting, vector_cache=cache)
    assert counting.texts == 4
    assert cache.stored == 4
    again = KnowledgeIndex(ACCOUNTS, embedder=counting, vector_cache=cache)
    assert counting.texts == 4
    assert again.search("reset my password", k=1)[0].passage.article.id == "password"
    assert counting.texts == 5  # the query
    edited = [*ACCOUNTS[:2], ACCOUNTS[2].model_copy(update={"body": "## Standard\n2 days."})]
    KnowledgeIndex(edited, embedder=counting, vector_cache=cache)
    assert counting.texts == 6  # only the changed passage


def test_bm25_alone_needs_no_embedder() -> None:
    index = KnowledgeIndex(ACCOUNTS)
    assert index.mode == "bm25"
    assert index.vectors is None
    hit = index.search("express delivery", k=3)[0]
    assert hit.passage.heading == "Express"
    assert hit.dense is None
    assert hit.relevance == hit.coverage
    assert index.search("zebra quantum") == []
    with pytest.raises(ValueError, match="needs an embedder"):
        index.search("express delivery", mode="dense")


def test_an_empty_knowledge_base_answers_nothing(embedder: Embedder) -> None:
    assert KnowledgeIndex([], embedder=embedder).search("anything") == []
    assert KnowledgeIndex([]).search("anything") == []


def test_fusion_follows_dense_when_bm25_has_nothing() -> None:
    cosine = np.array([0.2, 0.9, 0.5], dtype=np.float32)
    fused = fuse(np.zeros(3, dtype=np.float32), cosine)
    assert list(top_k(fused, 3)) == [1, 2, 0]


def test_top_k_is_ordered_and_stable() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.1], dtype=np.float32)
    assert list(top_k(scores, 3)) == [1, 0, 2]
    assert list(top_k(scores, 10)) == [1, 0, 2, 3]
    assert list(top_k(scores, 0)) == []
