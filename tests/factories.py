"""Small builders for the values the message path passes around."""

from __future__ import annotations

import yaml

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import CustomerContext, HistoryEntry, Turn


def turn(
    text: str, *history: tuple[Source, str], handed_over: bool = False, **customer: object
) -> Turn:
    return Turn(
        message_id=1,
        conversation_id="conversation-1",
        text=text,
        channel="web",
        customer=CustomerContext(id="customer-1", **customer),  # type: ignore[arg-type]
        history=tuple(HistoryEntry(source=source, text=said) for source, said in history),
        handed_over=handed_over,
    )


def message(text: str = "How do I reset my password?", **fields: object) -> dict[str, object]:
    return {"channel": "web", "text": text, **fields}


def rule(rule_id: str, when: str, route: str = "handoff", **fields: object) -> dict[str, object]:
    then: dict[str, object] = {"route": route}
    if route == "handoff":
        then["team"] = fields.pop("team", "frontline")
    if "message" in fields:
        then["message"] = fields.pop("message")
    return {"id": rule_id, "owner": "qa", "description": f"test rule {rule_id}", "when": when,
            "then": then, **fields}  # fmt: skip


def policy_source(*rules: dict[str, object], **fields: object) -> str:
    """A small, valid policy file (YAML text) with the given rules."""
    document: dict[str, object] = {
        "name": "test",
        "version": "1",
        "owner": "qa",
        "thresholds": {"default": 0.6, "categories": {"refunds": 0.8}},
        "high_risk_categories": ["fraud"],
        "limits": {"refund_without_person": 100},
        "rules": list(rules) or [rule("asked", "signals.human_request.value")],
        "otherwise": {
            "owner": "qa",
            "description": "the AI answers",
            "then": {"route": "ai_reply"},
        },
        **fields,
    }
    return yaml.safe_dump(document, sort_keys=False)
