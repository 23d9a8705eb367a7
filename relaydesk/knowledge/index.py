"""Retrieval over passages: BM25 (bm25s), dense (MiniLM cosine), or both fused.

Hybrid ranking is a convex combination of the two scores, each min-max normalised over every
passage for the query, ``w * dense + (1 - w) * bm25`` with ``w = DENSE_WEIGHT``, plus one for
a passage holding every rare identifier of the query (a word with a digit: an error code, a
part number), which embeddings confuse with look-alikes.

Reciprocal-rank fusion lost to dense alone on StackFAQ (nDCG@10 0.926 vs 0.957): it throws
away how far ahead the leader is. On StackFAQ's paraphrases no BM25 share beats dense alone,
so the weight is the largest BM25 share whose nDCG@10 stays within 0.005 of dense alone on the
``tune`` half of the threads (0.9; ``relaydesk eval retrieval --sweep``); the ``test`` half
reports it. BM25's part is what the paraphrase benchmark cannot show: exact rare terms.

Dense search is exact: one matrix-vector product over every passage's vector (384 float32,
1.5 kB a passage), bound by memory bandwidth: a query reads every vector once. 10,000 articles
make ~40,000 passages (60 MB); ``bench/knowledge.py`` measures the latency. Past ~100,000
passages (150 MB, ~10 ms a query on one core) an approximate index (HNSW) is the next step.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from relaydesk.knowledge.articles import Article, Passage, split_passages
from relaydesk.knowledge.embeddings import DIMENSIONS, Embedder, Vectors
from relaydesk.knowledge.vector_cache import VectorCache, text_key

Mode = Literal["bm25", "dense", "hybrid"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid")
Scores = npt.NDArray[np.float32]
DENSE_WEIGHT = 0.9  # share of the dense score in the hybrid one (see the module docstring)
# Passages embedded between writes to the cache: a build stopped midway keeps its work.
EMBED_CHUNK = 256
# An identifier in more passages than this share is a common number ("30 days"), not a code.
IDENTIFIER_MAX_SHARE = 0.01
# bm25s's numba backend is faster when numba is there; it is not a dependency.
BM25_BACKEND = "numba" if bm25s.NUMBA_AVAILABLE else "numpy"

# Words that carry no topic in a support question; they must not count towards coverage.
STOPWORDS = sorted(
    set(STOPWORDS_EN)
    | set(
        "i me my mine we our you your yours can could would should will shall may might must "
        "do does did done how what when where why which who whom hi hello hey thanks thank "
        "please pls want need know tell help get got im ive dont cant wont just also still "
        "am been being have has had here there its it's about any some one anything something "
        "nothing haven hasn didn doesn isn wasn aren couldn wouldn heard hear said say like lol "
        "ok okay yet really actually quick question".split()
    )
)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # what ranked it: the fused score (hybrid), the BM25 score, or the cosine
    coverage: float  # IDF-weighted share of the query's known topic words in the passage
    bm25: float = 0.0  # the passage's BM25 score for the query
    dense: float | None = None  # cosine of query and passage vectors (None without embedder)
    # How well the passage answers, 0..1, comparable across queries and modes: the cosine
    # (clipped at 0) when there is an embedder, else the coverage.
    relevance: float = 0.0


class KnowledgeIndex:
    """An in-memory index of every passage of a set of articles."""

    def __init__(
        self,
        articles: Sequence[Article],
        embedder: Embedder | None = None,
        vector_cache: VectorCache | None = None,
    ) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self.passages = [p for article in articles for p in split_passages(article)]
        self.embedder = embedder
        self.mode: Mode = "hybrid" if embedder is not None else "bm25"
        tokens = self._tokenize([p.search_text for p in self.passages])
        self._token_sets = [set(t) for t in tokens]
        document_frequency = Counter(term for terms in self._token_sets for term in terms)
        self._holders = _identifier_holders(self._token_sets)
        total = len(self.passages)
        self._idf = {t: math.log(1 + total / df) for t, df in document_frequency.items()}
        self._bm25 = bm25s.BM25(backend=BM25_BACKEND)
        if self.passages:
            self._bm25.index(tokens, show_progress=False)
        self.vectors = (
            embed_passages(self.passages, embedder, vector_cache) if embedder is not None else None
        )

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        tokenized: list[list[str]] = bm25s.tokenize(
            texts, stopwords=STOPWORDS, stemmer=self._stemmer, return_ids=False, show_progress=False
        )
        return tokenized

    def terms(self, text: str) -> set[str]:
        """The stemmed topic words of a text, as the index sees them."""
        return set(self._tokenize([text])[0])

    def search(self, query: str, k: int = 5, mode: Mode | None = None) -> list[Hit]:
        """The ``k`` best passages, best first. BM25 alone returns only passages sharing a
        topic word with the query; dense and hybrid always return ``k`` (judge them by
        ``relevance`` or ``coverage``)."""
        mode = mode or self.mode
        if mode != "bm25" and self.vectors is None:
            raise ValueError(f"{mode} search needs an embedder; this index has none")
        query_tokens = self._tokenize([query])[0]
        if not self.passages or (mode == "bm25" and not query_tokens):
            return []
        lexical = self._bm25_scores(query_tokens)
        cosine = self._cosines(query) if mode != "bm25" else None
        ranking = rank_scores(mode, lexical, cosine)
        if mode == "hybrid":
            ranking = ranking + self._identifier_matches(query_tokens)
        chosen = top_k(ranking, k)
        if mode == "bm25":
            chosen = chosen[lexical[chosen] > 0]
        words = set(query_tokens)
        return [self._hit(int(i), ranking, lexical, cosine, words) for i in chosen]

    def score_parts(self, query: str) -> tuple[Scores, Scores]:
        """Every passage's BM25 score and cosine for the query (for weighing the fusion)."""
        return self._bm25_scores(self._tokenize([query])[0]), self._cosines(query)

    def _identifier_matches(self, query_tokens: list[str]) -> Scores:
        """Per passage, the share of the query's rare identifiers (words with a digit: an
        error code, a part or plan number) it contains. Embeddings blur look-alike codes
        (RX-7731 vs RX-7137), and a customer quoting a code means exactly that code, so a
        passage holding it ranks above every passage that does not."""
        rare = max(1.0, len(self.passages) * IDENTIFIER_MAX_SHARE)
        wanted = [t for t in set(query_tokens) if 0 < len(self._holders.get(t, ())) <= rare]
        matches = np.zeros(len(self.passages), dtype=np.float32)
        for term in wanted:
            matches[self._holders[term]] += 1 / len(wanted)
        return matches

    def _bm25_scores(self, query_tokens: list[str]) -> Scores:
        known = self._bm25.get_tokens_ids(query_tokens) if query_tokens else []
        if not known:
            return np.zeros(len(self.passages), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(known), dtype=np.float32)

    def _cosines(self, query: str) -> Scores:
        assert self.embedder is not None
        assert self.vectors is not None
        vector = self.embedder.embed([query])[0]
        cosines: Scores = self.vectors @ vector
        return cosines

    def _hit(
        self, i: int, ranking: Scores, lexical: Scores, cosine: Scores | None, words: set[str]
    ) -> Hit:
        coverage = self.coverage(words, self._token_sets[i])
        dense = None if cosine is None else round(float(cosine[i]), 4)
        return Hit(
            passage=self.passages[i],
            score=float(ranking[i]),
            coverage=coverage,
            bm25=float(lexical[i]),
            dense=dense,
            relevance=max(0.0, dense) if dense is not None else coverage,
        )

    def coverage(self, query: set[str], passage: set[str]) -> float:
        """How much of the question the passage speaks to.

        Rare words weigh more (IDF). Words the knowledge base never uses are mostly context
        ("for my running club"), so they only damp the score, by the share of the question
        the knowledge base knows at all.
        """
        known = {t: self._idf[t] for t in query if t in self._idf}
        if not known:
            return 0.0
        weighted = sum(w for t, w in known.items() if t in passage) / sum(known.values())
        known_share = len(known) / len(query)
        return round(weighted * (0.5 + 0.5 * known_share), 3)


def _identifier_holders(token_sets: list[set[str]]) -> dict[str, list[int]]:
    """For each word with a digit, the passages holding it."""
    holders: dict[str, list[int]] = {}
    for i, terms in enumerate(token_sets):
        for term in terms:
            if any(c.isdigit() for c in term):
                holders.setdefault(term, []).append(i)
    return holders


def rank_scores(mode: Mode, lexical: Scores, cosine: Scores | None) -> Scores:
    if mode == "bm25" or cosine is None:
        return lexical
    if mode == "dense":
        return cosine
    return fuse(lexical, cosine)


def fuse(lexical: Scores, cosine: Scores, weight: float = DENSE_WEIGHT) -> Scores:
    """Both scores min-max normalised over every passage, then mixed: a query with no BM25
    match at all is ranked by the dense score alone."""
    fused: Scores = weight * _min_max(cosine) + (1 - weight) * _min_max(lexical)
    return fused


def _min_max(scores: Scores) -> Scores:
    low, high = float(scores.min()), float(scores.max())
    if high - low <= 1e-9:
        return np.zeros_like(scores)
    normalised: Scores = (scores - low) / (high - low)
    return normalised


def top_k(scores: Scores, k: int) -> npt.NDArray[np.intp]:
    """Indices of the ``k`` highest scores, highest first (ties: the earlier passage)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def embed_passages(
    passages: Sequence[Passage], embedder: Embedder, cache: VectorCache | None
) -> Vectors:
    """Every passage's vector, embedding only texts the cache does not hold (and each distinct
    text once)."""
    texts = [p.search_text for p in passages]
    keys = [text_key(text) for text in texts]
    distinct = dict(zip(keys, texts, strict=True))
    known = cache.get(embedder.model_id, list(distinct)) if cache is not None else {}
    missing = [key for key in distinct if key not in known]
    for start in range(0, len(missing), EMBED_CHUNK):
        chunk = missing[start : start + EMBED_CHUNK]
        fresh = dict(zip(chunk, embedder.embed([distinct[key] for key in chunk]), strict=True))
        if cache is not None:
            cache.put(embedder.model_id, fresh)
        known.update(fresh)
    if not keys:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([known[key] for key in keys]).astype(np.float32, copy=False)
