"""BM25 retrieval over passages (bm25s), with the query-term coverage of each hit."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from relaydesk.knowledge.articles import Article, Passage, split_passages

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
    score: float
    coverage: float  # IDF-weighted share of the query's known topic words in the passage


class KnowledgeIndex:
    """An in-memory index of every passage of a set of articles."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self.passages = [p for article in articles for p in split_passages(article)]
        documents = [f"{p.article.title} {p.heading} {p.text}" for p in self.passages]
        tokens = self._tokenize(documents)
        self._token_sets = [set(t) for t in tokens]
        document_frequency = Counter(term for terms in self._token_sets for term in terms)
        total = len(self.passages)
        self._idf = {t: math.log(1 + total / df) for t, df in document_frequency.items()}
        self._bm25 = bm25s.BM25()
        if self.passages:
            self._bm25.index(tokens, show_progress=False)

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        tokenized: list[list[str]] = bm25s.tokenize(
            texts, stopwords=STOPWORDS, stemmer=self._stemmer, return_ids=False, show_progress=False
        )
        return tokenized

    def terms(self, text: str) -> set[str]:
        """The stemmed topic words of a text, as the index sees them."""
        return set(self._tokenize([text])[0])

    def search(self, query: str, k: int = 5) -> list[Hit]:
        query_tokens = self._tokenize([query])[0]
        if not query_tokens or not self.passages:
            return []
        k = min(k, len(self.passages))
        documents, scores = self._bm25.retrieve([query_tokens], k=k, show_progress=False)
        hits = []
        for index, score in zip(documents[0], scores[0], strict=True):
            if score > 0:
                coverage = self.coverage(set(query_tokens), self._token_sets[int(index)])
                hits.append(Hit(self.passages[int(index)], float(score), coverage))
        return hits

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
