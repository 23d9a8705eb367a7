"""The one namespace of facts that policy rules read (documented in docs/policy.md).

Rules read only these names, so signals and the resolver can deepen without rewriting rules.
``FACTS`` is the schema: every readable path and its type. ``build_facts`` fills it for one
message; the facts are stored with each decision so it can be explained and replayed.

The ``policy`` namespace is not stored: the evaluator derives it from the policy being
evaluated (the threshold for this message's category, whether the category is high-risk, the
policy's limits), so a replay under another policy sees that policy's values.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from relaydesk.conversations.turn import Turn
from relaydesk.resolver.types import Attempt
from relaydesk.signals.types import Signal, Signals


class FactType(StrEnum):
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"
    STRING = "string"
    OPTIONAL_STRING = "string or null"
    STRING_LIST = "list of strings"
    MAP = "map"  # free keys: customer.attributes.plan reads the key "plan"


_DETECTOR = {
    "value": FactType.BOOL,
    "score": FactType.NUMBER,
    "evidence": FactType.STRING_LIST,
}

FACTS: dict[str, FactType] = {
    "message.text": FactType.STRING,
    "message.channel": FactType.STRING,
    "message.language": FactType.STRING,
    "message.length": FactType.INT,
    "signals.category.name": FactType.STRING,
    "signals.category.confidence": FactType.NUMBER,
    "signals.intent.name": FactType.STRING,
    "signals.intent.confidence": FactType.NUMBER,
    **{
        f"signals.{name}.{field}": kind
        for name in (
            "human_request",
            "manager_request",
            "legal_threat",
            "urgency",
            "frustration",
            "out_of_scope",
        )
        for field, kind in _DETECTOR.items()
    },
    "signals.frustration.trend": FactType.NUMBER,
    "signals.repeat_ask.count": FactType.INT,
    "signals.amount.value": FactType.NUMBER,
    "signals.amount.evidence": FactType.STRING_LIST,
    "attempt.has_answer": FactType.BOOL,
    "attempt.confidence": FactType.NUMBER,
    "attempt.coverage": FactType.NUMBER,
    "attempt.citations": FactType.STRING_LIST,
    "attempt.resolver": FactType.STRING,
    "attempt.flags": FactType.STRING_LIST,
    "attempt.proposed_actions": FactType.STRING_LIST,
    "attempt.actions_run": FactType.STRING_LIST,
    "attempt.actions_denied": FactType.STRING_LIST,
    "attempt.actions_awaiting_approval": FactType.STRING_LIST,
    "customer.id": FactType.STRING,
    "customer.tier": FactType.OPTIONAL_STRING,
    "customer.vip": FactType.BOOL,
    "customer.recent_recontacts": FactType.INT,
    "customer.open_conversations": FactType.INT,
    "customer.attributes": FactType.MAP,
    "conversation.turns": FactType.INT,
    "conversation.ai_turns": FactType.INT,
    "conversation.handed_over": FactType.BOOL,
    "actor.kind": FactType.STRING,
    "actor.on_behalf_of": FactType.OPTIONAL_STRING,
    "actor.scopes": FactType.STRING_LIST,
    "context.hour": FactType.INT,
    "context.weekday": FactType.STRING,
}

# Derived from the policy under evaluation; ``policy.limits.<name>`` comes from its file.
POLICY_FACTS: dict[str, FactType] = {
    "policy.threshold": FactType.NUMBER,
    "policy.high_risk": FactType.BOOL,
}

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _signal(signal: Signal) -> dict[str, Any]:
    return {"value": signal.value, "score": signal.score, "evidence": list(signal.evidence)}


def _actions(attempt: Attempt) -> dict[str, list[str]]:
    """The names of the actions the path ran, refused, and sent for a person's approval."""

    def named(*statuses: str) -> list[str]:
        return [a.action for a in attempt.actions if a.status in statuses]

    return {
        "actions_run": named("ran"),
        "actions_denied": named("denied", "invalid", "failed"),
        "actions_awaiting_approval": named("awaiting_approval"),
    }


def _actor(turn: Turn) -> dict[str, Any]:
    """Who wrote the message: the customer, or an agent acting for them under a grant."""
    actor = turn.actor
    if actor is None:
        return {"kind": "customer", "on_behalf_of": None, "scopes": []}
    on_behalf_of = None if actor.kind == "customer" else actor.on_behalf_of
    scopes = [scope.value for scope in actor.scopes]
    return {"kind": actor.kind.value, "on_behalf_of": on_behalf_of, "scopes": scopes}


def build_facts(
    turn: Turn, signals: Signals, attempt: Attempt, now: datetime | None = None
) -> dict[str, Any]:
    """The facts for one message. ``now`` is the message's time, in the company's time zone."""
    moment = now or turn.received_at
    return {
        "message": {
            "text": turn.text,
            "channel": turn.channel,
            "language": "en",
            "length": len(turn.text),
        },
        "signals": {
            "category": {
                "name": signals.category.name,
                "confidence": signals.category.confidence,
            },
            "intent": {"name": signals.intent.name, "confidence": signals.intent.confidence},
            "out_of_scope": _signal(signals.out_of_scope),
            "human_request": _signal(signals.human_request),
            "manager_request": _signal(signals.manager_request),
            "legal_threat": _signal(signals.legal_threat),
            "urgency": _signal(signals.urgency),
            "frustration": {**_signal(signals.frustration), "trend": signals.frustration.trend},
            "repeat_ask": {"count": signals.repeat_ask.count},
            "amount": {"value": signals.amount.value, "evidence": list(signals.amount.evidence)},
        },
        "attempt": {
            "has_answer": attempt.has_answer,
            "confidence": attempt.confidence,
            "coverage": attempt.coverage,
            "citations": [c.article_id for c in attempt.citations],
            "resolver": attempt.resolver,
            "flags": list(attempt.flags),
            "proposed_actions": [*attempt.proposed_actions, *(p.name for p in attempt.proposals)],
            **_actions(attempt),
        },
        "customer": {
            "id": turn.customer.id,
            "tier": turn.customer.tier,
            "vip": turn.customer.vip,
            "recent_recontacts": turn.customer.recent_recontacts,
            "open_conversations": turn.customer.open_conversations,
            "attributes": dict(turn.customer.attributes),
        },
        "conversation": {
            "turns": turn.customer_turns,
            "ai_turns": turn.ai_turns,
            "handed_over": turn.handed_over,
        },
        "actor": _actor(turn),
        "context": {"hour": moment.hour, "weekday": WEEKDAYS[moment.weekday()]},
    }


def lookup(facts: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path``; ``KeyError`` names the missing fact."""
    value = facts
    for depth, name in enumerate(path):
        try:
            value = value[name]
        except (KeyError, TypeError):
            raise KeyError(f"fact {'.'.join(path[: depth + 1])} is missing") from None
    return value
