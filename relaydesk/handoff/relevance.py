"""Which of the passages the AI read bear on the customer's question.

Retrieval always returns its top passages, relevant or not, so "what was checked" cannot be
every passage read: a customer asking about a double charge must not hear that we read the
warranty article. A passage counts when its article's title or its section heading shares a
topic word (stemmed; stop words and a few words too common in support to carry a topic, like
"time" and "help", aside) with the customer's message. Being cited is not enough: retrieval
ranks *something* first for any message, and "this is the third time I'm asking for a person"
once cited "Shipping times and costs". This errs towards saying less: a passage relevant only
in its body goes unmentioned.
"""

from __future__ import annotations

import functools
import re
import threading

import Stemmer

from relaydesk.knowledge.index import STOPWORDS
from relaydesk.resolver.types import Attempt, Citation

_WORD = re.compile(r"(?u)\b\w\w+\b")  # the index's tokens: two or more word characters
# Words that appear in every kind of support message, so they say nothing about its topic.
_GENERIC = frozenset(
    "time times day days week weeks month months help question questions need want get "
    "please thank thanks hi hello problem issue still again ask asking".split()
)
_STOPWORDS = frozenset(STOPWORDS) | _GENERIC
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


def is_relevant(citation: Citation, asked: set[str]) -> bool:
    return bool(asked & _title_words(citation.title, citation.heading))


@functools.lru_cache(maxsize=4096)
def _title_words(title: str, heading: str) -> frozenset[str]:
    # The same few hundred titles and headings come back for every message: stem them once.
    return frozenset(topic_words(f"{title} {heading}"))


def relevant_passages(text: str, attempt: Attempt) -> tuple[Citation, ...]:
    """The passages of ``attempt.checked`` that bear on ``text``, best retrieved first."""
    asked = topic_words(text)
    return tuple(c for c in attempt.checked if is_relevant(c, asked))


def relevant_titles(text: str, attempt: Attempt) -> tuple[str, ...]:
    """The titles of the articles behind ``relevant_passages``, each once."""
    return tuple(dict.fromkeys(c.title for c in relevant_passages(text, attempt)))
