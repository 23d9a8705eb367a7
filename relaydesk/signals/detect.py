"""The signals for one message: the path's single entry into this package.

Each detector lives in its own module: explicit asks (``requests``), frustration and its trend
(``frustration``), repeated asks (``repeat``), the category (``categories``). Each returns its
score and the words or features that fired, so a person reading a decision sees why.
"""

from __future__ import annotations

import re

from relaydesk.conversations.turn import Turn
from relaydesk.signals.categories import Category, classify
from relaydesk.signals.frustration import frustration
from relaydesk.signals.repeat import Embed, repeat_ask
from relaydesk.signals.requests import requests
from relaydesk.signals.types import Amount, Signals

__all__ = ["amount", "detect_signals", "frustration", "repeat_ask"]

MONEY = re.compile(
    r"[$€£]\s?(?P<symbol>\d[\d,]*(?:\.\d{1,2})?)"
    r"|\b(?P<named>\d[\d,]*(?:\.\d{1,2})?)\s?(?:dollars|usd|eur|euros?|gbp|pounds|bucks)\b",
    re.IGNORECASE,
)


def amount(text: str) -> Amount:
    found = [(m.group(0), m.group("symbol") or m.group("named")) for m in MONEY.finditer(text)]
    if not found:
        return Amount(value=0.0)
    values = [float(number.replace(",", "")) for _, number in found]
    return Amount(value=max(values), evidence=tuple(dict.fromkeys(words for words, _ in found)))


def detect_signals(
    turn: Turn, categories: tuple[Category, ...], embed: Embed | None = None
) -> Signals:
    """``embed`` (sentence embeddings, optional) lets repeat-ask count paraphrases too."""
    text = turn.text if isinstance(turn.text, str) else ""
    asks = requests(text)
    return Signals(
        category=classify(text, categories),
        human_request=asks.human,
        manager_request=asks.manager,
        legal_threat=asks.legal,
        urgency=asks.urgency,
        frustration=frustration(turn),
        repeat_ask=repeat_ask(turn, embed),
        amount=amount(text),
    )
