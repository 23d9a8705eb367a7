"""The signals for one message: the path's single entry into this package.

Each detector lives in its own module: explicit asks (``requests``), frustration and its trend
(``frustration``), repeated asks (``repeat``), the category: the trained classifier's
(``classifier``: category, intent and out-of-scope score) when the path has one, else the
keyword matcher's (``categories``). Each returns its score and the words or features that
fired, so a person reading a decision sees why.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from relaydesk.conversations.turn import Turn
from relaydesk.signals.categories import Category, classify
from relaydesk.signals.frustration import frustration
from relaydesk.signals.repeat import Embed, repeat_ask
from relaydesk.signals.requests import requests
from relaydesk.signals.types import Amount, CategorySignal, Signal, Signals

if TYPE_CHECKING:
    from relaydesk.signals.classifier import CategoryClassifier

__all__ = ["amount", "detect_signals", "frustration", "repeat_ask"]

MONEY = re.compile(
    r"[$€£]\s?(?P<symbol>\d[\d,]*(?:\.\d{1,2})?)"
    r"|\b(?P<named>\d[\d,]*(?:\.\d{1,2})?)\s?(?:dollars|usd|eur|euros?|gbp|pounds|bucks)\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
# Without the trained classifier: no intent, and nothing judged out of scope.
NO_INTENT = CategorySignal(name="unknown", confidence=0.0)
NOT_JUDGED = Signal(value=False, score=0.0)
# Below this category confidence the classifier defers to the keywords, when they name one.
UNSURE = 0.5


def amount(text: str) -> Amount:
    found = [(m.group(0), m.group("symbol") or m.group("named")) for m in money_matches(text)]
    if not found:
        return Amount(value=0.0)
    values = [float(number.replace(",", "")) for _, number in found]
    return Amount(value=max(values), evidence=tuple(dict.fromkeys(words for words, _ in found)))


def money_matches(text: str) -> list[re.Match[str]]:
    """``list(MONEY.finditer(text))``, with the pattern tried only just before runs of digits
    (an email is otherwise scanned character by character, ~0.15 ms).

    Exact: every match holds a digit that starts a run of digits (after a currency sign and
    at most one space, or after a word boundary), so it starts 0 to 2 characters before one;
    leftmost matches are taken, none overlapping, as ``finditer`` does."""
    starts = sorted({start for run in _DIGITS.finditer(text) for start in _before(run.start())})
    found: list[re.Match[str]] = []
    end = 0
    for start in starts:
        if start < end:
            continue
        match = MONEY.match(text, start)
        if match:
            found.append(match)
            end = match.end()
    return found


def _before(digit: int) -> range:
    return range(max(0, digit - 2), digit + 1)


def detect_signals(
    turn: Turn,
    categories: tuple[Category, ...],
    embed: Embed | None = None,
    classifier: CategoryClassifier | None = None,
    high_risk: frozenset[str] = frozenset(),
) -> Signals:
    """``embed`` (sentence embeddings, optional) lets repeat-ask count paraphrases too.
    ``classifier`` (the trained one, optional) gives the category, the intent and the
    out-of-scope score; without it the keyword matcher gives the category alone.
    ``high_risk``: categories the classifier's verdict is never traded away from, and that
    win a tie of keyword matches."""
    text = turn.text if isinstance(turn.text, str) else ""
    asks = requests(text)
    keywords = classify(text, categories, high_risk)
    category, intent, out_of_scope = keywords, NO_INTENT, NOT_JUDGED
    if classifier is not None:
        category, intent, out_of_scope = _classified(text, classifier, keywords, high_risk)
    return Signals(
        category=category,
        intent=intent,
        out_of_scope=out_of_scope,
        human_request=asks.human,
        manager_request=asks.manager,
        legal_threat=asks.legal,
        urgency=asks.urgency,
        frustration=frustration(turn),
        repeat_ask=repeat_ask(turn, embed),
        amount=amount(text),
    )


def _classified(
    text: str, classifier: CategoryClassifier, keywords: CategorySignal, high_risk: frozenset[str]
) -> tuple[CategorySignal, CategorySignal, Signal]:
    """The classifier's category, intent and out-of-scope verdict. An out-of-scope message
    keeps its closest category (never "unknown" in its place), so a high-risk category stays
    visible to the policy, which reads both. The keyword matches are kept as evidence.

    When the classifier is unsure (below ``UNSURE``) and the message names another category's
    keywords, the keywords' category is kept instead (a "$250 refund" for shoes that "fell
    apart" stays a refund for the refund rules), unless the classifier's guess is high-risk,
    or the keywords' category is itself high-risk (then it wins whatever the classifier says)."""
    result = classifier.classify(text, keep_category=True)
    category, intent = result.category, result.intent
    if keywords.evidence:
        words = ", ".join(repr(word) for word in keywords.evidence)
        noted = (*category.evidence, f"keywords for {keywords.name}: {words}")
        category = category.model_copy(update={"evidence": noted})
        unsure = category.confidence < UNSURE and category.name not in high_risk
        if keywords.name != category.name and (unsure or keywords.name in high_risk):
            guess = f"classifier's guess {category.name} ({category.confidence:.2f})"
            category = keywords.model_copy(update={"evidence": (*keywords.evidence, guess)})
            intent = NO_INTENT
    return category, intent, result.out_of_scope
