"""The built-in default policy, encoding the seeds of when a person must take over.

Each condition reads only the documented facts and returns its reason in plain words.
"""

from __future__ import annotations

from relaydesk.policy.decision import Route
from relaydesk.policy.evaluate import Facts, Policy, Rule

OWNER = "support-leadership"


def _evidence(signal: Facts) -> str:
    return ", ".join(f"'{e}'" for e in signal["evidence"])


def already_with_person(facts: Facts, _: Policy) -> str | None:
    if facts["conversation"]["handed_over"]:
        return "a person already has this conversation; the AI stays silent"
    return None


def asked_for_person(facts: Facts, _: Policy) -> str | None:
    signal = facts["signals"]["human_request"]
    return f"customer asked for a person: {_evidence(signal)}" if signal["value"] else None


def manager_or_legal(facts: Facts, _: Policy) -> str | None:
    for name, label in (("legal_threat", "legal language"), ("manager_request", "asked for")):
        signal = facts["signals"][name]
        if signal["value"]:
            return f"{label} {_evidence(signal)}"
    return None


def high_risk_category(facts: Facts, _: Policy) -> str | None:
    category = facts["signals"]["category"]
    if category["high_risk"]:
        return f"high-risk category '{category['name']}'"
    return None


def frustrated_or_repeating(facts: Facts, _: Policy) -> str | None:
    signals = facts["signals"]
    if signals["frustration"]["value"]:
        return f"customer is frustrated: {_evidence(signals['frustration'])}"
    if signals["repeat_ask"]["count"] >= 2:
        return f"customer asked the same thing {signals['repeat_ask']['count'] + 1} times"
    return None


def no_answer(facts: Facts, _: Policy) -> str | None:
    if not facts["attempt"]["has_answer"]:
        return "the knowledge base has no answer to this"
    return None


def below_threshold(facts: Facts, policy: Policy) -> str | None:
    if not facts["attempt"]["has_answer"]:
        return None  # said by no-answer
    category = facts["signals"]["category"]["name"]
    confidence, bar = facts["attempt"]["confidence"], policy.threshold_for(category)
    if confidence < bar:
        return f"AI confidence {confidence:.2f} is below the '{category}' threshold {bar:.2f}"
    return None


def answer(facts: Facts, policy: Policy) -> str | None:
    category = facts["signals"]["category"]["name"]
    return (
        f"AI answer with confidence {facts['attempt']['confidence']:.2f} "
        f"meets the '{category}' threshold {policy.threshold_for(category):.2f}"
    )


DEFAULT_POLICY = Policy(
    name="default",
    version="builtin-1",
    owner=OWNER,
    thresholds={"orders": 0.5, "shipping": 0.5, "refunds": 0.8, "billing": 0.7, "account": 0.7},
    default_threshold=0.6,
    rules=(
        Rule("already-with-person", OWNER, "Once a person owns a conversation, the AI is silent.",
             already_with_person, Route.HANDOFF),
        Rule("person-on-request", OWNER, "A customer who asks for a person always gets one.",
             asked_for_person, Route.HANDOFF, team="frontline"),
        Rule("manager-or-legal", OWNER, "Manager requests and legal language go to seniors.",
             manager_or_legal, Route.HANDOFF, team="senior", priority="high"),
        Rule("high-risk-category", OWNER, "Account closure and fraud are never automated.",
             high_risk_category, Route.HANDOFF, team="specialists", priority="high"),
        Rule("frustrated-or-repeating", OWNER,
             "Frustration or a third ask goes to a person even when the AI has an answer.",
             frustrated_or_repeating, Route.HANDOFF, team="frontline", priority="high"),
        Rule("no-answer", OWNER, "The AI answers only from the knowledge base.",
             no_answer, Route.HANDOFF, team="frontline"),
        Rule("below-threshold", OWNER, "Each category has its own confidence bar.",
             below_threshold, Route.HANDOFF, team="frontline"),
    ),
    otherwise=Rule("ai-answers", OWNER, "Otherwise the AI answers, with its sources.",
                   answer, Route.AI_REPLY),
)  # fmt: skip
