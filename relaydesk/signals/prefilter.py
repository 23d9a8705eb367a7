"""What text a regular expression cannot match without: a cheap test before the scan.

``required(source)`` reads the pattern's syntax tree and returns clauses, each a set of
substrings of which at least one occurs in any text the pattern matches ("talk" for
``(?:talk|talking) to``, {"human", "person"} for ``a (?:human|person)``). A text missing every
substring of some clause cannot match, so the detector skips that pattern without scanning:
with dozens of patterns and an email of thousands of characters, most are never scanned.

It is a necessary condition only: when it passes, the pattern is scanned as before, so results
are exactly the regex's. Anything the reader does not follow (character classes, lookarounds,
optional parts, case-insensitive flags) simply adds no clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# The regex parser's own syntax tree (CPython's; ``sre_parse`` before 3.11): untyped.
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

Clause = frozenset[str]
# Shorter substrings occur in nearly every text: testing them costs more than it saves.
MIN_LENGTH = 3
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def required(source: str) -> tuple[Clause, ...]:
    """Clauses of substrings, one of each clause being in every text ``source`` matches."""
    try:
        parsed = sre_parse.parse(source)
    except re.error:
        return ()
    if parsed.state.flags & re.IGNORECASE:
        return ()
    return tuple(dict.fromkeys(_sequence(list(parsed))))


def cheapest_first(source: str) -> tuple[Clause, ...]:
    """``required(source)`` in the order to test it: ``passes`` stops at the first clause the
    text lacks, and a clause of few substrings is the quickest to rule out."""
    return tuple(sorted(required(source), key=len))


def passes(clauses: tuple[Clause, ...], text: str) -> bool:
    """Could a pattern with these clauses match somewhere in ``text``?"""
    return all(any(part in text for part in clause) for clause in clauses)


def _sequence(items: list[tuple[Any, Any]]) -> list[Clause]:
    """Clauses of items matched one after the other: every item's, plus each run of literal
    characters (contiguous in any match) as a clause of its own."""
    clauses: list[Clause] = []
    run: list[str] = []

    def close_run() -> None:
        if len(run) >= MIN_LENGTH:
            clauses.append(frozenset(["".join(run)]))
        run.clear()

    for op, value in items:
        if op is sre.LITERAL:
            run.append(chr(value))
            continue
        close_run()
        clauses.extend(_item(op, value))
    close_run()
    return clauses


def _item(op: Any, value: Any) -> list[Clause]:
    if op is sre.SUBPATTERN:
        _group, added, _removed, inner = value
        return [] if added & re.IGNORECASE else _sequence(list(inner))
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(value))
    if op in _REPEATS:
        low, _high, inner = value
        return _sequence(list(inner)) if low >= 1 else []
    if op is sre.BRANCH:
        return _branch(value[1])
    return []  # classes, anchors, lookarounds, references: no literal is certain


def _branch(alternatives: list[Any]) -> list[Clause]:
    """One clause for an alternation: each alternative's most telling clause, joined. An
    alternative with no clause (an empty one, a class) leaves the alternation none."""
    chosen: list[Clause] = []
    for alternative in alternatives:
        clauses = _sequence(list(alternative))
        if not clauses:
            return []
        # The clause whose shortest substring is longest is the rarest in ordinary text.
        chosen.append(max(clauses, key=lambda c: (min(map(len, c)), -len(c))))
    return [frozenset().union(*chosen)]


class Guarded:
    """A compiled pattern behind its prefilter: ``search`` and ``finditer`` give exactly the
    pattern's results, without scanning a text that lacks a required substring."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.clauses = cheapest_first(pattern.pattern)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if passes(self.clauses, text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if passes(self.clauses, text) else iter(())


def guarded(source: str) -> Guarded:
    return Guarded(re.compile(source))
