"""The extractive resolver: answers only with sentences from the passages it retrieved.

It needs no model server and cannot invent a policy: every sentence of an answer is a sentence
of a cited passage, chosen for the words it shares with the question, two at most, so the
customer gets the lines that answer them rather than the article.

How well the knowledge base covers the question (``coverage``, 0..1) is, with embeddings, the
mean of the passage's topic-word coverage and its semantic similarity to the question
(``semantic``); with BM25 alone, the topic-word coverage. A passage answers when it is similar
enough (``RELEVANT_FROM``) and shares some topic words (``MIN_COVERAGE``) — or, without
embeddings, covers half the topic words. The confidence is the coverage, lowered when another
article matches about as well (an ambiguous question): a plain, uncalibrated score that the
policy's per-category thresholds read. The bars were set between the demo's routine and
uncovered questions (tests/knowledge/demo_questions.py); measure them on your own traffic.
"""

from __future__ import annotations

import re

from relaydesk.conversations.turn import Turn
from relaydesk.knowledge.index import Hit, KnowledgeIndex
from relaydesk.resolver.types import Attempt, Citation
from relaydesk.signals.types import Signals

ANSWER_BAR = 0.5  # BM25 only: below this topic-word coverage there is no answer
RELEVANT_FROM = 0.40  # embeddings: a passage less similar than this does not answer
MIN_COVERAGE = 0.2  # embeddings: ... nor one that shares almost no topic word
SURE_AT = 0.70  # a similarity from which the passage counts as fully on topic
CANDIDATES = 3  # the best passages considered for the answer
MAX_SENTENCES = 2
AMBIGUOUS_FROM = 0.8  # BM25: a runner-up article scoring above 80% of the best is a toss-up
AMBIGUOUS_MARGIN = 0.03  # embeddings: one within this similarity of the best is a toss-up
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MARKUP = re.compile(r"^\s*(?:[-*+]\s+|\d+\.\s+|#+\s+)|\*\*|__|`")


def citation_of(hit: Hit) -> Citation:
    """What a reply names as its source: the article, its version and the section."""
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


def semantic(hit: Hit) -> float:
    """The passage's similarity to the question on a 0..1 scale: 0.5 at the bar, 1 when sure."""
    if hit.dense is None:
        return hit.coverage
    scaled = 0.5 + 0.5 * (hit.dense - RELEVANT_FROM) / (SURE_AT - RELEVANT_FROM)
    return min(1.0, max(0.0, scaled))


def coverage(hit: Hit) -> float:
    if hit.dense is None:
        return hit.coverage
    return round((hit.coverage + semantic(hit)) / 2, 3)


def answers(hit: Hit) -> bool:
    if hit.dense is None:
        return hit.coverage >= ANSWER_BAR
    return hit.dense >= RELEVANT_FROM and hit.coverage >= MIN_COVERAGE


def ambiguity(hits: list[Hit], best: Hit) -> float:
    """How close the best passage of another article comes to the chosen one (1 = a tie)."""
    others = [h for h in hits if h.passage.article.id != best.passage.article.id]
    if not others:
        return 0.0
    if best.dense is None:
        return round(max(h.score for h in others) / best.score, 3) if best.score else 0.0
    runner_up = max(h.dense or 0.0 for h in others)
    return round(min(1.0, runner_up / best.dense), 3) if best.dense > 0 else 0.0


def confidence(hits: list[Hit], best: Hit) -> float:
    if best.dense is None:
        penalty = max(0.0, ambiguity(hits, best) - AMBIGUOUS_FROM) * 3
    else:
        others = [h.dense or 0.0 for h in hits if h.passage.article.id != best.passage.article.id]
        margin = best.dense - max(others, default=0.0)
        penalty = max(0.0, AMBIGUOUS_MARGIN - margin) * 5  # a dead heat costs 0.15
    return round(coverage(best) * (1 - penalty), 3)


def attempt_answer(turn: Turn, signals: Signals, index: KnowledgeIndex, k: int = 5) -> Attempt:
    del signals  # the extractive resolver does not condition on signals; an LLM resolver may
    hits = index.search(turn.text, k=k)
    checked = tuple(dict.fromkeys(citation_of(hit) for hit in hits))
    answering = [hit for hit in hits[:CANDIDATES] if answers(hit)]
    if not answering:
        covered = max((coverage(hit) for hit in hits), default=0.0)
        return Attempt(
            has_answer=False, answer=None, confidence=covered, coverage=covered, checked=checked
        )
    best = max(answering, key=coverage)
    answer = " ".join(select_sentences(best.passage.text, turn.text, index))
    return Attempt(
        has_answer=True,
        answer=answer,
        confidence=confidence(hits, best),
        coverage=coverage(best),
        citations=(citation_of(best),),
        checked=checked,
        ambiguity=ambiguity(hits, best),
    )
