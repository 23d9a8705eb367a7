"""The one namespace of facts that policy rules read (documented in docs/policy.md).

Rules read only these names, so signals and the resolver can deepen without rewriting rules.
"""

from __future__ import annotations

from typing import Any

from relaydesk.conversations.turn import Turn
from relaydesk.resolver.attempt import Attempt
from relaydesk.signals.types import Signal, Signals


def _signal(signal: Signal) -> dict[str, Any]:
    return {"value": signal.value, "score": signal.score, "evidence": list(signal.evidence)}


def build_facts(turn: Turn, signals: Signals, attempt: Attempt) -> dict[str, Any]:
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
                "high_risk": signals.category.high_risk,
            },
            "human_request": _signal(signals.human_request),
            "manager_request": _signal(signals.manager_request),
            "legal_threat": _signal(signals.legal_threat),
            "urgency": _signal(signals.urgency),
            "frustration": _signal(signals.frustration),
            "repeat_ask": {"count": signals.repeat_ask.count},
        },
        "attempt": {
            "has_answer": attempt.has_answer,
            "confidence": attempt.confidence,
            "coverage": attempt.coverage,
            "citations": [c.article_id for c in attempt.citations],
            "proposed_actions": list(attempt.proposed_actions),
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
        "actor": {"kind": turn.actor_kind, "on_behalf_of": None, "scopes": []},
        "context": {"business_hours": None, "pilot_arm": None},
    }
