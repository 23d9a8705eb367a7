"""Repeat-ask: the customer asks again what the AI has already answered.

Every earlier customer message that was followed by an AI reply is compared with the new one.
The comparison is lexical by default (content words, lightly stemmed, Dice overlap), which
needs no model and takes microseconds. When the caller has sentence embeddings (the message
path passes the process's MiniLM when dense retrieval is on), paraphrases count too ("where's
my refund" / "has my money come back yet"), for the ``SEMANTIC_ASKS`` newest asks; the lexical
match still counts, so an embedding can only add repeats, never hide one.

The path's embedder remembers recent messages' vectors (``memoised``), and each customer
message's vector is stored with it (``relaydesk.conversations.vectors``) and read back into
the memo when the next turn is built, so an earlier message embedded at its own turn costs
nothing here, in any worker and after a restart. One without a stored vector (sent while
dense retrieval was off, or under another model) is embedded again, at most
``SEMANTIC_ASKS`` of them a message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import Turn
from relaydesk.signals.normalise import normalise
from relaydesk.signals.types import RepeatAsk

LEXICAL_THRESHOLD = 0.6
# MiniLM cosine. `relaydesk eval repeat` chose 0.642 on BANKING77 training pairs as the lowest
# cosine that calls at most 0.5% of different-intent pairs the same ask. On test pairs, with the
# lexical match: 40.4% of same-intent pairs found, 0.51% of different ones (0.8: 17.0%, 0.12%).
SEMANTIC_THRESHOLD = 0.65
SEMANTIC_ASKS = 4  # newest answered asks compared by meaning: bounds the embedding per message
LOOK_BACK = 20  # earlier messages compared; older asks are too far back to count
EVIDENCE_CHARS = 80
CONTENT_CHARS = 2000  # an ask is in a message's head; the rest of an email is not compared

Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]

STOPWORDS = frozenset(
    "a an the i me my we our you your it its is are was were be been am do does did to of in "
    "on at for with and or but so if this that these those there here what which who how when "
    "where why can could would should will shall may might must just please pls ok okay hi "
    "hello hey thanks thank yes no not any some all have has had get got about from by as "
    "im i'm i've i'd you're it's that's there's".split()
)
# Stripped from words of five letters or more; longest first, so "es" goes before "s".
_SUFFIXES = ("ing", "ed", "es", "s")


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    words = _leading_words(text)
    return frozenset(
        stem(w) if len(w) > 4 else w for w in words if w not in STOPWORDS and len(w) > 1
    )


def stem(word: str) -> str:
    """The word without its first suffix in ``_SUFFIXES`` (a light stemmer: "refunds",
    "refunded" and "refunding" all read "refund"). String tests, not a regex: an email has
    hundreds of words."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _leading_words(text: str) -> list[str]:
    """The canonical words of the first ``CONTENT_CHARS`` characters (a word across the limit
    is read whole). A longer message is read from the normalisation the other detectors made
    of all of it (cached), not normalised again from its head (~0.5 ms for an email)."""
    read = normalise(text)
    words = read.joined.split()
    if len(text) <= CONTENT_CHARS:
        return words
    if len(words) != len(read.spans):  # not one span per word: normalise the head alone
        return normalise(text[:CONTENT_CHARS]).joined.split()
    return [
        word for word, (start, _) in zip(words, read.spans, strict=True) if start < CONTENT_CHARS
    ]


def similarity(first: str, second: str) -> float:
    """Dice overlap of content words: 1 for the same ask, 0 for nothing in common."""
    a, b = content_words(first), content_words(second)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _answered_asks(turn: Turn) -> list[str]:
    """Earlier customer messages that an AI reply followed, newest first."""
    asks, answered = [], False
    for entry in reversed(turn.history[-LOOK_BACK:]):
        if entry.source == Source.AI_AGENT:
            answered = True
        elif entry.source == Source.CUSTOMER and answered:
            asks.append(entry.text)
    return asks


def _semantic(text: str, asks: list[str], embed: Embed) -> list[float]:
    vectors = embed([text, *asks])
    return [float(v) for v in vectors[1:] @ vectors[0]]


def repeat_ask(turn: Turn, embed: Embed | None = None) -> RepeatAsk:
    """How many answered earlier asks this message repeats, and the best match's similarity."""
    text = turn.text if isinstance(turn.text, str) else ""
    asks = _answered_asks(turn)
    if not asks or not content_words(text):
        return RepeatAsk(count=0)
    lexical = [similarity(text, ask) for ask in asks]
    semantic = [0.0] * len(asks)
    if embed is not None:
        semantic[:SEMANTIC_ASKS] = _semantic(text, asks[:SEMANTIC_ASKS], embed)
    repeats = [
        (ask, max(near, dense))
        for ask, near, dense in zip(asks, lexical, semantic, strict=True)
        if near >= LEXICAL_THRESHOLD or dense >= SEMANTIC_THRESHOLD
    ]
    best = max((max(near, dense) for near, dense in zip(lexical, semantic, strict=True)))
    return RepeatAsk(
        count=len(repeats),
        score=round(min(1.0, best), 3),
        evidence=tuple(ask[:EVIDENCE_CHARS] for ask, _ in repeats),
    )
