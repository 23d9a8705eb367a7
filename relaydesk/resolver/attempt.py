"""The extractive resolver: answers only with sentences from the passages it retrieved.

It needs no model server and cannot invent a policy: every sentence of an answer is a sentence
of a cited passage. Its confidence is the share of the question's topic words that the best
passage covers, lowered when another article matches almost as well (an ambiguous question)
— a plain, uncalibrated score that the policy's per-category thresholds read.
"""

from __future__ import annotations

import re

from relaydesk.conversations.turn import Turn
from relaydesk.knowledge.index import Hit, KnowledgeIndex
from relaydesk.resolver.types import Attempt, Citation
from relaydesk.signals.types import Signals

ANSWER_BAR = 0.5  # below this coverage the resolver says it has no answer
MAX_SENTENCES = 2
AMBIGUOUS_FROM = 0.8  # a runner-up article scoring above 80% of the best makes it a toss-up
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MARKUP = re.compile(r"^\s*(?:[-*+]\s+|\d+\.\s+)|\*\*|__|`")


def _cite(hit: Hit) -> Citation:
    article = hit.passage.article
    return Citation(
        article_id=article.id,
        title=article.title,
        version=article.version,
        content_hash=article.content_hash[:12],
        url=article.url,
        heading=hit.passage.heading,
    )


def _sentences(text: str) -> list[str]:
    cleaned = (_MARKUP.sub("", line) for line in text.splitlines())
    return [s.strip() for s in _SENTENCE_END.split(" \n".join(cleaned)) if len(s.strip()) > 3]


def select_sentences(passage_text: str, question: str, index: KnowledgeIndex) -> list[str]:
    """The sentences sharing most topic words with the question, in the passage's order."""
    wanted = index.terms(question)
    sentences = _sentences(passage_text)
    overlap = [len(wanted & index.terms(sentence)) for sentence in sentences]
    ranked = sorted(range(len(sentences)), key=lambda i: (-overlap[i], i))
    return [sentences[i] for i in sorted(ranked[:MAX_SENTENCES])]


def ambiguity(hits: list[Hit]) -> float:
    """How close the best passage of another article comes to the best passage."""
    best = hits[0]
    others = (h.score for h in hits[1:] if h.passage.article.id != best.passage.article.id)
    return round(max(others, default=0.0) / best.score, 3)


def confidence(hits: list[Hit]) -> float:
    penalty = max(0.0, ambiguity(hits) - AMBIGUOUS_FROM) * 3
    return round(hits[0].coverage * (1 - penalty), 3)


def attempt_answer(turn: Turn, signals: Signals, index: KnowledgeIndex, k: int = 5) -> Attempt:
    del signals  # the extractive resolver does not condition on signals; an LLM resolver may
    hits = index.search(turn.text, k=k)
    checked = tuple(dict.fromkeys(_cite(hit) for hit in hits))
    if not hits or hits[0].coverage < ANSWER_BAR:
        coverage = hits[0].coverage if hits else 0.0
        return Attempt(
            has_answer=False, answer=None, confidence=coverage, coverage=coverage, checked=checked
        )
    best = hits[0]
    answer = " ".join(select_sentences(best.passage.text, turn.text, index))
    return Attempt(
        has_answer=True,
        answer=answer,
        confidence=confidence(hits),
        coverage=best.coverage,
        citations=(_cite(best),),
        checked=checked,
        ambiguity=ambiguity(hits),
    )
