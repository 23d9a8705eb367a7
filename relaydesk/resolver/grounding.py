"""Does a passage support a sentence? A lexical entailment check, with embeddings when present.

There is no NLI model here, so support is built from features that can be checked and
explained:

- **coverage**: the share of the sentence's content words (stemmed; names and numbers weigh
  double) found in the best *evidence* — one passage sentence or two adjacent ones;
- **similarity**: MiniLM cosine between the sentence and that evidence, when the ``dense``
  extra is installed (``embedder=None`` runs lexical-only);
- **conflicts**, which cap the score at ``CONFLICT_CAP`` whatever the overlap: a number,
  amount or duration the evidence does not state ("60 days" against "30 days"), or a negation
  on one side only ("can be returned" against "cannot be returned").

A sentence with no content word and no number ("Sure!") makes no claim and scores 1; an
answer still needs at least one claim (``answer_support``). The weights and the threshold were
chosen on BEGIN's WoW dev file and reported on the others (``relaydesk eval grounding``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise

import numpy as np
import Stemmer

from relaydesk.knowledge.embeddings import Embedder
from relaydesk.knowledge.index import STOPWORDS

# Below this a sentence is unsupported: the best F0.5 (precision counts double: an answer held
# back costs a person's minute, a wrong one a customer's trust) on BEGIN's WoW dev file.
THRESHOLD = 0.8
LEXICAL_WEIGHT = 0.7  # the rest is embedding similarity, when an embedder is given
SIMILARITY_FLOOR, SIMILARITY_SPAN = 0.4, 0.6  # MiniLM cosine 0.4 → 0, 1.0 → 1
CONFLICT_CAP = 0.1
CONTEXT_CREDIT = 0.5  # a word the customer used counts half when the passage lacks it

_WORD = re.compile(r"[$€£]?\d[\d,]*(?:\.\d+)?%?|[a-z][a-z']*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_ABBREVIATION = re.compile(
    r"(?i)(?:\b(?:e\.g|i\.e|etc|mr|mrs|ms|dr|st|vs|approx|no|inc|ltd|jr|sr|[a-z])\.)$"
)
_MARKUP = re.compile(r"^\s*(?:[-*+]\s+|\d+\.\s+|#+\s+)|\*\*|__|`")
_CONTRACTION = re.compile(
    r"(?i)\b(can|won|don|doesn|didn|isn|aren|wasn|weren|hasn|haven|hadn|"
    r"couldn|shouldn|wouldn|mustn|needn)['\u2019]?t\b"
)
_NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor without cannot non nowhere".split()
)
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100}
_UNITS = {
    "second": "second", "seconds": "second", "minute": "minute", "minutes": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "day": "day", "days": "day",
    "week": "week", "weeks": "week", "month": "month", "months": "month", "year": "year",
    "years": "year", "percent": "%", "dollars": "$", "dollar": "$", "usd": "$", "euros": "€",
    "euro": "€", "eur": "€", "pounds": "£", "gbp": "£", "cents": "cent", "cent": "cent",
}  # fmt: skip
_LOOSE_WORDS = frozenset({"zero", "one"})
_UNIT_MODIFIERS = frozenset("business working calendar full whole more".split())
_stemmer = Stemmer.Stemmer("english")
# Courtesy carries no claim: "Sure, happy to help!" needs no source.
_COURTESY = "sure yes yeah yep great glad happy welcome sorry hope certainly absolutely course"
_STOP = (frozenset(STOPWORDS) | frozenset(_COURTESY.split())) - _NEGATIONS
MIN_PREFIX = 5  # "returnable" matches "returned" through their shared stem "return"


@dataclass(frozen=True)
class SupportResult:
    score: float  # 0..1; below THRESHOLD the sentence is unsupported
    passage: int | None  # index of the best supporting passage
    evidence: str  # its sentence(s) that support the claim best
    coverage: float = 0.0
    similarity: float | None = None
    conflicts: tuple[str, ...] = ()  # e.g. "60 day not stated", "negation differs"
    claim: bool = True  # False: nothing to check ("Sure!")

    @property
    def supported(self) -> bool:
        return self.score >= THRESHOLD


@dataclass(frozen=True)
class _Text:
    """One sentence (or a window of two), analysed once."""

    text: str
    weights: dict[str, float]  # content stem -> weight
    quantities: frozenset[tuple[float, str | None]]
    negated: bool
    words: frozenset[str] = field(default_factory=frozenset)


def split_sentences(text: str) -> list[str]:
    """Sentences of plain or Markdown text; "e.g." and "approx." do not end one."""
    lines = (_MARKUP.sub("", line) for line in text.splitlines())
    pieces = _SENTENCE_END.split("\n".join(line for line in lines if line.strip()))
    sentences: list[str] = []
    for piece in (p.strip() for p in pieces if p.strip()):
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return [s for s in sentences if len(s) > 1]


def _tokens(text: str) -> list[str]:
    expanded = _CONTRACTION.sub(lambda m: f"{m.group(1)} not", text)
    return [t.lower().strip("'") for t in _WORD.findall(expanded)]


def _number(token: str) -> float | None:
    digits = token.strip("$€£%").replace(",", "")
    if digits and digits[0].isdigit():
        try:
            return float(digits)
        except ValueError:
            return None
    return _NUMBER_WORDS.get(token)


def _quantities(tokens: list[str]) -> frozenset[tuple[float, str | None]]:
    found: set[tuple[float, str | None]] = set()
    for i, token in enumerate(tokens):
        value = _number(token)
        if value is None:
            continue
        unit = "%" if token.endswith("%") else (token[0] if token[0] in "$€£" else None)
        following = [t for t in tokens[i + 1 : i + 3] if t not in _UNIT_MODIFIERS]
        if unit is None and following and following[0] in _UNITS:
            unit = _UNITS[following[0]]
        if unit is None and token in _LOOSE_WORDS:
            continue  # "that one", "no one": not a quantity
        found.add((value, unit))
    return frozenset(found)


def _names(text: str) -> set[str]:
    """Capitalised words that do not start a sentence: names, products, places."""
    words = text.split()
    return {
        word.strip(".,!?;:()\"'").lower()
        for previous, word in pairwise(words)
        if word[:1].isupper() and not previous.endswith((".", "!", "?", ":"))
    }


@lru_cache(maxsize=4096)
def _analyse(text: str) -> _Text:
    tokens = _tokens(text)
    weights: dict[str, float] = {}
    capitalised = _names(text)
    for token in tokens:
        if token in _STOP or token in _NEGATIONS or _number(token) is not None or len(token) < 2:
            continue
        stem = _stemmer.stemWord(token)
        weights[stem] = 2.0 if token in capitalised else max(weights.get(stem, 0.0), 1.0)
    return _Text(
        text=text,
        weights=weights,
        quantities=_quantities(tokens),
        negated=any(t in _NEGATIONS for t in tokens),
        words=frozenset(_stemmer.stemWord(t) for t in tokens),
    )


def _coverage(claim: _Text, evidence: _Text, context: frozenset[str]) -> float:
    total = sum(claim.weights.values()) + 2.0 * len(claim.quantities)
    found = sum(
        w if _found(stem, evidence.words) else (CONTEXT_CREDIT * w if stem in context else 0.0)
        for stem, w in claim.weights.items()
    )
    found += 2.0 * sum(1 for q in claim.quantities if _stated(q, evidence.quantities))
    return found / total if total else 1.0


def _found(stem: str, words: frozenset[str]) -> bool:
    if stem in words:
        return True
    if len(stem) < MIN_PREFIX:
        return False
    return any(len(w) >= MIN_PREFIX and (w.startswith(stem) or stem.startswith(w)) for w in words)


def _stated(
    quantity: tuple[float, str | None], stated: frozenset[tuple[float, str | None]]
) -> bool:
    value, unit = quantity
    return any(v == value and (unit is None or u is None or u == unit) for v, u in stated)


def _conflicts(claim: _Text, evidence: _Text, members: Sequence[_Text]) -> tuple[str, ...]:
    """Quantities the evidence does not state; a negation on one side only.

    In a window of two sentences, negation is read from the one that covers the claim best.
    """
    found = [
        f"{value:g}{' ' + unit if unit else ''} not stated"
        for value, unit in sorted(claim.quantities, key=str)
        if not _stated((value, unit), evidence.quantities)
    ]
    closest = max(members, key=lambda m: _coverage(claim, m, frozenset()))
    if claim.negated != closest.negated:
        found.append("negation differs")
    return tuple(found)


def _windows(passage: str) -> list[tuple[str, ...]]:
    sentences = split_sentences(passage) or [passage]
    return [(s,) for s in sentences] + list(pairwise(sentences))


def _similarity(cosine: float) -> float:
    return float(np.clip((cosine - SIMILARITY_FLOOR) / SIMILARITY_SPAN, 0.0, 1.0))


def _score(coverage: float, similarity: float | None, conflicts: tuple[str, ...]) -> float:
    score = coverage
    if similarity is not None:
        score = LEXICAL_WEIGHT * coverage + (1 - LEXICAL_WEIGHT) * similarity
    return round(min(score, CONFLICT_CAP) if conflicts else score, 4)


def support_all(
    sentences: Sequence[str],
    passages: Sequence[str],
    *,
    embedder: Embedder | None = None,
    context: str = "",
) -> list[SupportResult]:
    """Each sentence's best support among the passages (embedding everything once)."""
    windows = [(p, w) for p, passage in enumerate(passages) for w in _windows(passage)]
    cosines = _cosines(sentences, [" ".join(w) for _, w in windows], embedder)
    asked = frozenset(_analyse(context).words) if context else frozenset()
    return [
        _best(_analyse(sentence), windows, None if cosines is None else cosines[i], asked)
        for i, sentence in enumerate(sentences)
    ]


def support(
    sentence: str,
    passages: Sequence[str],
    *,
    embedder: Embedder | None = None,
    context: str = "",
) -> SupportResult:
    """How well the best of ``passages`` supports ``sentence``, with the evidence."""
    return support_all([sentence], passages, embedder=embedder, context=context)[0]


def _cosines(
    sentences: Sequence[str], windows: list[str], embedder: Embedder | None
) -> np.ndarray | None:
    if embedder is None or not windows or not sentences:
        return None
    vectors = embedder.embed([*sentences, *windows])
    result: np.ndarray = vectors[: len(sentences)] @ vectors[len(sentences) :].T
    return result


def _best(
    claim: _Text,
    windows: list[tuple[int, tuple[str, ...]]],
    cosines: np.ndarray | None,
    asked: frozenset[str],
) -> SupportResult:
    if not claim.weights and not claim.quantities:
        return SupportResult(score=1.0, passage=None, evidence="", coverage=1.0, claim=False)
    candidates = []
    for i, (passage, members) in enumerate(windows):
        window = " ".join(members)
        evidence = _analyse(window)
        coverage = _coverage(claim, evidence, asked)
        similarity = None if cosines is None else _similarity(float(cosines[i]))
        conflicts = _conflicts(claim, evidence, [_analyse(m) for m in members])
        candidates.append(
            SupportResult(
                _score(coverage, similarity, ()),
                passage,
                window,
                round(coverage, 4),
                similarity,
                conflicts,
            )
        )
    if not candidates:
        return SupportResult(score=0.0, passage=None, evidence="", conflicts=("no passage",))
    closest = max(candidates, key=lambda c: c.score)  # the evidence it is most about
    best = max(candidates, key=lambda c: _score(c.coverage, c.similarity, c.conflicts))
    score = _score(best.coverage, best.similarity, best.conflicts)
    if score < THRESHOLD and closest.conflicts:
        best = closest  # show the contradiction, not a weaker unrelated sentence
    return replace(best, score=min(score, best.score))


def answer_support(results: Sequence[SupportResult]) -> float:
    """An answer is as well supported as its weakest claim; an answer with no claim, not at all."""
    claims = [r.score for r in results if r.claim]
    return min(claims) if claims else 0.0
