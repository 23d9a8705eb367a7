"""Frustration and distress: the customer's words, and what the conversation did to them.

A message alone says little ("are you sure?" is calm until the AI has just failed twice), so the
score combines three kinds of evidence, each a named feature with a fixed weight:

- the message: VADER's negative sentiment, angry words, profanity, capitals, "!!", "third time";
- the customer pushing back: "no, I said ...", "are you sure?", "try again", asking again what
  the AI already answered (``repeat_ask``);
- the AI's last reply: an apology, "no results", "I can't find", a question it already asked,
  a reply much like its previous one (the AI looping).

Features combine as a noisy-OR: ``score = 1 - Π(1 - weight)``, so each adds and none alone
saturates. ``value`` is true from 0.5. ``trend`` is the slope of the per-message score over the
customer's last messages (per message, -1..1): positive when the conversation is getting angrier.
Weights were set by hand from what support teams read as frustration and checked on the dev
half of MultiWOZ (``relaydesk eval satisfaction --split dev``); the test half is reported.
The same command measures a learned logistic regression over richer conversation features
(``eval_satisfaction.dialogue_features``): a little better on MultiWOZ's held-out half (AUC 0.78
against 0.76), but it stays in the evaluation, since MultiWOZ users never swear or shout, so it
learns no weight for profanity or capitals, which this score must still catch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import HistoryEntry, Turn
from relaydesk.signals.normalise import normalise
from relaydesk.signals.repeat import repeat_ask, similarity
from relaydesk.signals.types import FrustrationSignal

FIRES_AT = 0.5
TREND_WINDOW = 5  # customer messages the trend looks back over
VADER_CHARS = 1000  # VADER's cost grows with length; sentiment is read from the first 1000

ANGRY = re.compile(
    r"\b(?:ridiculous|useless|terrible|awful|worst|angry|furious|unacceptable|scam|fed up|"
    r"sick of|pathetic|joke|disgusted|disgusting|outrageous|incompetent|hopeless|waste of|"
    r"nobody|no one (?:helps|answers|cares)|fraud|rubbish|garbage|horrible|appalling|shocking|"
    r"frustrat\w*|annoy\w*|irritat\w*|upset|disappoint\w*|fed up|had enough|done with|"
    r"never again|lost patience|confus\w*|stupid|dumb|idiot\w*|not helpful|not helping|"
    r"unhelpful|doesn't help|does not help|making no sense|makes no sense)\b"
)
PROFANITY = re.compile(
    r"\b(?:fuck\w*|shit\w*|damn\w*|goddamn|crap\w*|hell|wtf|bs|bullshit|bloody|effing|"
    r"freaking|frigging|sucks?|piss\w*|ass|arse|bastard\w*|fudge off)\b"
)
AGAIN = re.compile(
    r"\b(?:(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time|again|still (?:no|not|waiting|"
    r"nothing|haven't|have not|don't)|already (?:told|said|asked|explained|gave|sent)|"
    r"how many times|keep (?:asking|telling|saying)|i said|as i said|like i said|i told you|"
    r"i asked|repeat(?:ing)? myself|over and over|for days|for weeks|yet again)\b"
)
PUSHBACK = re.compile(
    r"^(?:no|nope|nah|wrong|not)\b|\b(?:are you (?:sure|certain)|that's not|that is not|"
    r"not what i|that won't|that will not|doesn't work|does not work|didn't work|try again|"
    r"check again|look again|you (?:didn't|did not|don't|do not) (?:understand|get|listen)|"
    r"i (?:really|do|did) (?:need|want|say|mean)|please check|start (?:over|from the beginning)|"
    r"let me clarify|to clarify|instead|any other|other options?)\b"
)
AI_FAILED = re.compile(
    r"\b(?:sorry|apologi[sz]e|unfortunately|afraid|unable|can't|cannot|could not|couldn't|"
    r"no (?:results?|matches|match|availability|trains?|hotels?|options?|information|answer|"
    r"record)|there (?:are|is|were|was) no|not (?:available|find|found|able|sure|possible)|"
    r"don't (?:have|know|see|understand)|do not (?:have|know|understand)|booked up|"
    r"fully booked|nothing (?:matches|available|found)|didn't understand|rephrase|"
    r"doesn't (?:offer|have)|does not (?:offer|have))\b"
)
AI_ASKS = re.compile(r"\?\s*$|\b(?:what|which|when|could you|can you|would you|do you)\b.*\?")

WEIGHTS: dict[str, float] = {
    "negative sentiment": 0.35,  # scaled by VADER's negative compound
    "angry words": 0.45,
    "profanity": 0.4,
    "mostly capitals": 0.35,
    "repeated punctuation": 0.25,
    "asked again": 0.35,  # "third time", "I said", "already told you"
    "pushback": 0.2,  # "no, ...", "are you sure?", "try again"
    "repeat of an answered ask": 0.3,
    "AI apologised or found nothing": 0.2,
    "AI looping": 0.3,  # its reply is much like its previous one
    "AI asked again": 0.15,  # the same question as before
}


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=4096)
def _compound(text: str) -> float:
    return float(_vader().polarity_scores(text[:VADER_CHARS])["compound"])


def negativity(text: str) -> float:
    """VADER's compound sentiment turned into 0 (neutral or positive) .. 1 (very negative)."""
    return max(0.0, -_compound(text))


def positivity(text: str) -> float:
    """VADER's compound sentiment turned into 0 (neutral or negative) .. 1 (very positive)."""
    return max(0.0, _compound(text))


def _shouting(text: str) -> list[str]:
    letters = [c for c in text[:VADER_CHARS] if c.isalpha()]
    features = []
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        features.append("mostly capitals")
    if "!!" in text or "?!" in text or "!?" in text:
        features.append("repeated punctuation")
    return features


def message_features(text: str) -> dict[str, float]:
    """Features of the customer's words alone, each 0..1 (its share of the weight)."""
    return dict(_message_features(text))


@lru_cache(maxsize=4096)
def _message_features(text: str) -> tuple[tuple[str, float], ...]:
    words = normalise(text).joined
    found: dict[str, float] = {}
    negative = negativity(text)
    if negative >= 0.05:
        found["negative sentiment"] = negative
    for name, pattern in (("angry words", ANGRY), ("profanity", PROFANITY), ("asked again", AGAIN)):
        hits = len(pattern.findall(words))
        if hits:
            found[name] = min(1.0, 0.7 + 0.3 * (hits - 1))
    if PUSHBACK.search(words):
        found["pushback"] = 1.0
    for name in _shouting(text):
        found[name] = 1.0
    return tuple(found.items())


def _last(history: Sequence[HistoryEntry], source: Source, skip: int = 0) -> str | None:
    said = [entry.text for entry in history if entry.source == source]
    return said[-1 - skip] if len(said) > skip else None


def conversation_features(turn: Turn) -> dict[str, float]:
    """What the AI just did and whether the customer is asking again."""
    found: dict[str, float] = {}
    last_ai, before = _last(turn.history, Source.AI_AGENT), _last(turn.history, Source.AI_AGENT, 1)
    if last_ai is not None:
        reply = normalise(last_ai[:VADER_CHARS]).joined
        if AI_FAILED.search(reply):
            found["AI apologised or found nothing"] = 1.0
        if before is not None and similarity(last_ai, before) >= 0.5:
            found["AI looping"] = 1.0
        elif (
            before is not None
            and AI_ASKS.search(last_ai)
            and AI_ASKS.search(before)
            and similarity(last_ai, before) >= 0.3
        ):
            found["AI asked again"] = 1.0
    repeats = repeat_ask(turn).count
    if repeats:
        found["repeat of an answered ask"] = min(1.0, 0.7 + 0.3 * (repeats - 1))
    return found


def combine(features: dict[str, float]) -> float:
    """Noisy-OR of the weighted features."""
    calm = 1.0
    for name, strength in features.items():
        calm *= 1.0 - WEIGHTS[name] * strength
    return round(1.0 - calm, 3)


def _slope(scores: Sequence[float]) -> float:
    if len(scores) < 2:
        return 0.0
    n = len(scores)
    mean_x, mean_y = (n - 1) / 2, sum(scores) / n
    spread = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(scores)) / spread
    return round(max(-1.0, min(1.0, slope)), 3)


def trajectory(turn: Turn, current: float) -> float:
    """Slope of the customer's per-message scores, oldest first, ending with this one."""
    earlier = [e.text for e in turn.history if e.source == Source.CUSTOMER]
    window = earlier[-(TREND_WINDOW - 1) :] if TREND_WINDOW > 1 else []
    return _slope([combine(message_features(text)) for text in window] + [current])


def frustration(turn: Turn) -> FrustrationSignal:
    text = turn.text if isinstance(turn.text, str) else ""
    own = message_features(text)
    features = own | conversation_features(turn)
    score = combine(features)
    evidence = tuple(
        sorted(features, key=lambda name: -WEIGHTS[name] * features[name])
    ) + _words_that_fired(text)
    return FrustrationSignal(
        value=score >= FIRES_AT,
        score=score,
        evidence=evidence,
        trend=trajectory(turn, combine(own)),
    )


def _words_that_fired(text: str) -> tuple[str, ...]:
    words = normalise(text)
    quoted = []
    for pattern in (ANGRY, PROFANITY, AGAIN):
        for match in pattern.finditer(words.joined):
            quoted.append(words.quote(match.start(), match.end()))
    return tuple(dict.fromkeys(quoted))
