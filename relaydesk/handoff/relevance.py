"""Which of the passages the AI read bear on the customer's question.

Retrieval always returns its top passages, relevant or not, so "what was checked" cannot be
every passage read: a customer asking about a double charge must not hear that we read the
warranty article. A passage counts when the AI cited it, or when its article's title or its
section heading shares a topic word (stemmed, stop words aside) with the customer's message.
That errs towards saying less: a passage relevant only in its body goes unmentioned.
"""

from __future__ import annotations

import re
import threading

import Stemmer

from relaydesk.knowledge.index import STOPWORDS
from relaydesk.resolver.attempt import Attempt, Citation

_WORD = re.compile(r"(?u)\b\w\w+\b")  # the index's tokens: two or more word characters
_STOPWORDS = frozenset(STOPWORDS)
_local = threading.local()  # a Stemmer is not thread-safe: one per thread


def topic_words(text: str) -> set[str]:
    """The stemmed words of ``text`` that carry a topic."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return set(_stemmer().stemWords(words))


def _stemmer() -> Stemmer.Stemmer:
    stemmer: Stemmer.Stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def is_relevant(citation: Citation, asked: set[str], cited: set[str]) -> bool:
    if citation.article_id in cited:
        return True
    return bool(asked & topic_words(f"{citation.title} {citation.heading}"))


def relevant_passages(text: str, attempt: Attempt) -> tuple[Citation, ...]:
    """The passages of ``attempt.checked`` that bear on ``text``, best retrieved first."""
    asked = topic_words(text)
    cited = {c.article_id for c in attempt.citations}
    return tuple(c for c in attempt.checked if is_relevant(c, asked, cited))


def relevant_titles(text: str, attempt: Attempt) -> tuple[str, ...]:
    """The titles of the articles behind ``relevant_passages``, each once."""
    return tuple(dict.fromkeys(c.title for c in relevant_passages(text, attempt)))
