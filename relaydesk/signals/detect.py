"""Detectors for the triggers the policy acts on.

These are pattern detectors: explicit asks for a person, a manager, legal language, urgency,
frustration markers, and a repeated ask. Each returns its score and the words that fired, so a
person reading a decision sees why.
"""

from __future__ import annotations

import re

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import Turn
from relaydesk.signals.categories import Category, classify
from relaydesk.signals.types import Amount, RepeatAsk, Signal, Signals

_PERSON = r"(?:human|person|agent|someone|somebody|representative|rep|operator|people|staff)"
HUMAN_REQUEST = re.compile(
    r"\b(?:talk|speak|chat|connect|transfer|put)\w*\s+(?:me\s+)?(?:to|with|through\s+to)\s+"
    r"(?:a|an|some|your|the)?\s*(?:real|live|actual|proper)?\s*" + _PERSON + r"\b"
    r"|\b(?:real|live|actual)\s+" + _PERSON + r"\b"
    r"|\b(?:human|person|agent)\s+(?:please|pls|plz|now)\b"
    r"|\b(?:get|give|want|need)\s+(?:me\s+)?(?:a|an)\s+(?:human|person|agent|representative)\b"
    r"|\bnot\s+(?:a|the|this)\s+(?:bot|robot|machine|ai)\b"
    r"|\b(?:stop|enough)\b.{0,30}\b(?:bot|robot)\b"
    r"|\b(?:don'?t|do\s+not)\s+want\b.{0,25}\b(?:bot|robot|chatbot|machine|ai)\b",
    re.IGNORECASE,
)
MANAGER_REQUEST = re.compile(
    r"\b(?:manager|supervisor|superior|higher\s+up|someone\s+in\s+charge|escalate)\b",
    re.IGNORECASE,
)
LEGAL_THREAT = re.compile(
    r"\b(?:lawyer|attorney|solicitor|sue|suing|lawsuit|legal\s+action|court|small\s+claims"
    r"|ombudsman|trading\s+standards|consumer\s+protection|chargeback|regulator)\b",
    re.IGNORECASE,
)
URGENCY = re.compile(
    r"\b(?:urgent|urgently|asap|immediately|right\s+now|emergency|today|as\s+soon\s+as)\b",
    re.IGNORECASE,
)
FRUSTRATION = re.compile(
    r"\b(?:ridiculous|useless|terrible|awful|worst|angry|furious|unacceptable|scam|fed\s+up"
    r"|sick\s+of|pathetic|joke|disgusted|third\s+time|again\?|still\s+(?:no|not|waiting)"
    r"|waste\s+of|nobody|no\s+one\s+(?:helps|answers)|wtf|damn|hell|crap)\b",
    re.IGNORECASE,
)
MONEY = re.compile(
    r"[$€£]\s?(?P<symbol>\d[\d,]*(?:\.\d{1,2})?)"
    r"|\b(?P<named>\d[\d,]*(?:\.\d{1,2})?)\s?(?:dollars|usd|eur|euros?|gbp|pounds|bucks)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9']+")


def _phrase_signal(pattern: re.Pattern[str], text: str) -> Signal:
    evidence = tuple(dict.fromkeys(m.group(0) for m in pattern.finditer(text)))
    return Signal(value=bool(evidence), score=1.0 if evidence else 0.0, evidence=evidence)


def _shouting(text: str) -> list[str]:
    letters = [c for c in text if c.isalpha()]
    features = []
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        features.append("mostly capitals")
    if "!!" in text or "?!" in text:
        features.append("repeated punctuation")
    return features


def frustration(text: str) -> Signal:
    words = tuple(dict.fromkeys(m.group(0) for m in FRUSTRATION.finditer(text)))
    evidence = words + tuple(_shouting(text))
    # Each marker adds weight; three or more is as frustrated as these markers can tell.
    score = min(1.0, round(len(evidence) / 3, 3))
    return Signal(value=score >= 0.66, score=score, evidence=evidence)


def amount(text: str) -> Amount:
    found = [(m.group(0), m.group("symbol") or m.group("named")) for m in MONEY.finditer(text)]
    if not found:
        return Amount(value=0.0)
    values = [float(number.replace(",", "")) for _, number in found]
    return Amount(value=max(values), evidence=tuple(dict.fromkeys(words for words, _ in found)))


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


def repeat_ask(turn: Turn, threshold: float = 0.6) -> RepeatAsk:
    """Earlier customer messages, already answered by the AI, that ask about the same thing."""
    current = _words(turn.text)
    count, evidence, answered = 0, [], False
    for entry in reversed(turn.history):
        if entry.source == Source.AI_AGENT:
            answered = True
        elif entry.source == Source.CUSTOMER and answered and current:
            earlier = _words(entry.text)
            overlap = len(current & earlier) / len(current | earlier) if earlier else 0.0
            if overlap >= threshold:
                count += 1
                evidence.append(entry.text[:80])
    return RepeatAsk(count=count, evidence=tuple(evidence))


def detect_signals(turn: Turn, categories: tuple[Category, ...]) -> Signals:
    text = turn.text
    return Signals(
        category=classify(text, categories),
        human_request=_phrase_signal(HUMAN_REQUEST, text),
        manager_request=_phrase_signal(MANAGER_REQUEST, text),
        legal_threat=_phrase_signal(LEGAL_THREAT, text),
        urgency=_phrase_signal(URGENCY, text),
        frustration=frustration(text),
        repeat_ask=repeat_ask(turn),
        amount=amount(text),
    )
