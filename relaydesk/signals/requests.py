"""Explicit asks: a person, a manager, legal language, urgency.

Each detector is a list of weighted patterns (``ask_patterns.py``) over the normalised text, so
"humen pls", "r u a bot? i want an actual person" and "get me ur supervsor" read as the asks they
are. A match inside a negated clause ("I don't need a person, just tell me ...") does not count;
a mention is not a request ("my manager asked me to order shoes" names no one to talk to).

What a chat widget sees most is a short bare ask, so a whole short clause that is one fires
("Agent.", "hi, customer care please", "anyone there?", "contact support", "talk"), but not the
same words in a sentence ("agent orange"). Choices made, on HINT3's real bot messages: a callback
("call me back", "please call me", "I need a call from your representative") is an ask for a
person, since only a person can make the call. Customer support as the thing wanted ("I need
customer support") is an ask; how or when to reach it ("customer care number", "what are customer
care hours") is a question about the service, and "customer care number not available" or "no one
is answering" a complaint about it. "Is anyone available to help" is an ask only when the clause
ends there ("... to help pay a bill" is a task for the bot). "Person" or "someone" alone is left
out: it answers the bot's questions ("Personal or business?" "Person.") as often as it asks.

A detector's score is the weight of its strongest firing pattern: 0.95 for a direct ask, 0.8 for
a rejection of the bot ("this bot is useless"), 0.4 for cues that alone are not an ask ("are you
a bot?", "how do I reach customer service"). ``value`` is true from 0.5. The evidence is the
customer's own words behind each firing pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from relaydesk.signals.ask_patterns import (
    FIRES_AT,
    HUMAN_PATTERNS,
    LEGAL_PATTERNS,
    MANAGER_PATTERNS,
    TRIGGERS,
    URGENCY_PATTERNS,
    Pattern,
)
from relaydesk.signals.normalise import Normalised, normalise
from relaydesk.signals.prefilter import passes
from relaydesk.signals.types import Signal

_NEGATION = re.compile(
    r"\b(?:(?:don't|do not|dont|doesn't|does not|didn't|did not|won't|will not|wouldn't|never|"
    r"no longer)(?: really| even| actually)? (?:need|want|wish|require|have to|care|"
    r"ask(?:ed)? for|mean)|no need|not (?:asking|looking|trying|going)(?: \w+)? (?:for|to)|"
    r"not (?:urgent|necessary|needed|required|a priority)|without|never mind|no rush|"
    r"no hurry|no (?:human|person|agent|manager)|nor|"
    r"(?:don't|do not|dont|never) (?:call|ring|phone))\b"
)
# A negation reaches this far back from a match, within its clause.
NEGATION_REACH = 40
# ``unless`` words are read this far back from a match.
UNLESS_REACH = 60


@dataclass(frozen=True)
class Hit:
    weight: float
    start: int
    end: int


def _negated(words: Normalised, start: int) -> bool:
    window_start = max(0, start - NEGATION_REACH)
    last_break = max((b for b in words.breaks if window_start <= b <= start), default=None)
    if last_break is not None:
        window_start = last_break
    # The negation starts before the match and may overlap it ("don't need a person").
    end = min(len(words.joined), start + 16)
    return any(m.start() < start for m in _NEGATION.finditer(words.joined, window_start, end))


def _ends_clause(words: Normalised, match: re.Match[str]) -> bool:
    return match.end() == len(words.joined) or match.end() + 1 in words.breaks


WINDOW = 160  # characters either side of a trigger; longer than any pattern's match
# A pattern's first hits are its evidence; an email repeating an ask dozens of times is not
# checked (negations, quotes) dozens of times over. One hit already gives the score.
HITS_PER_PATTERN = 4
TRIGGER_MAX = 24  # characters; longer than any trigger word


def _windows(words: Normalised, trigger: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    text = words.joined
    position = 0
    while (match := trigger.search(text, position)) is not None:
        start, end = max(0, match.start() - WINDOW), min(len(text), match.end() + WINDOW)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
        # A trigger starting before here ends inside the window already: skip over them.
        position = max(match.end(), spans[-1][1] - WINDOW - TRIGGER_MAX)
    return spans


def _matches(
    pattern: Pattern, words: Normalised, windows: list[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """The pattern's matches that start a word, in text order (windows do not overlap)."""
    text = words.joined
    for start, end in windows:
        position = start
        while (match := pattern.scan.search(text, position, end)) is not None:
            if match.start() == 0 or text[match.start() - 1] in " '":  # a word starts here
                yield match
                position = match.end()
            else:
                position = match.start() + 1


# A whole-clause ask is short: "hello, is anyone there" is, a sentence about one is not.
CLAUSE_MAX = 60


def _clause_matches(pattern: Pattern, words: Normalised) -> list[re.Match[str]]:
    short = (span for span in words.clauses if span[1] - span[0] <= CLAUSE_MAX)
    found = (pattern.regex.fullmatch(words.joined, start, end) for start, end in short)
    return [match for match in found if match is not None]


def _hits(words: Normalised, patterns: tuple[Pattern, ...], trigger: re.Pattern[str]) -> list[Hit]:
    found = []
    windows = _windows(words, trigger)
    for pattern in patterns if windows else ():
        if not passes(pattern.required, words.joined):
            continue  # the text lacks words every match needs: nothing to scan for
        matches: Iterable[re.Match[str]]
        if pattern.whole_clause:  # cheap, so tried on every short clause, not only near triggers
            matches = _clause_matches(pattern, words)
        else:
            matches = _matches(pattern, words, windows)
        kept = 0
        for match in matches:
            if kept == HITS_PER_PATTERN:
                break
            if pattern.negatable and _negated(words, match.start()):
                continue
            if pattern.ends_clause and not _ends_clause(words, match):
                continue
            if pattern.unless and pattern.unless.search(
                words.joined, max(0, match.start() - UNLESS_REACH), match.start()
            ):
                continue
            found.append(Hit(pattern.weight, match.start(), match.end()))
            kept += 1
    return found


def _merged(hits: list[Hit]) -> list[tuple[int, int]]:
    """Overlapping hits as one stretch of the customer's words."""
    spans: list[tuple[int, int]] = []
    for hit in sorted(hits, key=lambda h: (h.start, h.end)):
        if spans and hit.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hit.end))
        else:
            spans.append((hit.start, hit.end))
    return spans


def detect(words: Normalised, patterns: tuple[Pattern, ...], trigger: re.Pattern[str]) -> Signal:
    """The strongest firing pattern's weight, with the customer's words behind every hit."""
    hits = _hits(words, patterns, trigger)
    if not hits:
        return Signal(value=False, score=0.0)
    score = max(hit.weight for hit in hits)
    evidence = tuple(dict.fromkeys(words.quote(start, end) for start, end in _merged(hits)))
    return Signal(value=score >= FIRES_AT, score=score, evidence=evidence)


def human_request(text: object) -> Signal:
    return detect(normalise(text), HUMAN_PATTERNS, TRIGGERS["human"])


def manager_request(text: object) -> Signal:
    return detect(normalise(text), MANAGER_PATTERNS, TRIGGERS["manager"])


def legal_threat(text: object) -> Signal:
    return detect(normalise(text), LEGAL_PATTERNS, TRIGGERS["legal"])


def urgency(text: object) -> Signal:
    return detect(normalise(text), URGENCY_PATTERNS, TRIGGERS["urgency"])


@dataclass(frozen=True)
class Requests:
    human: Signal
    manager: Signal
    legal: Signal
    urgency: Signal


def requests(text: object) -> Requests:
    """All four explicit asks from one normalisation of the text."""
    words = normalise(text)
    return Requests(
        human=detect(words, HUMAN_PATTERNS, TRIGGERS["human"]),
        manager=detect(words, MANAGER_PATTERNS, TRIGGERS["manager"]),
        legal=detect(words, LEGAL_PATTERNS, TRIGGERS["legal"]),
        urgency=detect(words, URGENCY_PATTERNS, TRIGGERS["urgency"]),
    )
