"""A conversation's events as the lines of a transcript, the way an agent reads them.

Pure: events and a few names in, frozen values out. Messages each way, the handoff and notes
are full items; assignments, status changes, decisions and flags are small system lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relaydesk.conversations.models import Event, EventKind, Source


@dataclass(frozen=True)
class CitationView:
    title: str
    heading: str
    url: str | None


@dataclass(frozen=True)
class Item:
    id: int
    style: str  # customer | ai | handoff | human | note | system | decision | flag
    at: datetime
    who: str
    text: str
    citations: tuple[CitationView, ...] = ()
    flaggable: bool = False  # an AI answer a person can mark as wrong
    flags: tuple[str, ...] = ()  # reasons it was already marked wrong (at page load)


ACTIONS = {
    "claimed": "{who} claimed it",
    "released": "{who} released it to the queue",
    "transferred": "{who} transferred it from {from_team} to {to_team}",
    "resolved": "{who} resolved it",
    "handed_back_to_ai": "{who} handed it back to the AI",
    "reassigned": "{who}'s claim ended: reassigned",
}


def items(
    events: Sequence[Event],
    names: Mapping[str, str],
    customer_name: str | None,
    team_labels: Mapping[str, str],
) -> list[Item]:
    """``names``: agent id → name; ``team_labels``: team → label."""
    flagged: dict[int, list[str]] = {}
    for event in events:
        if event.kind == EventKind.FLAG and event.caused_by is not None:
            flagged.setdefault(event.caused_by, []).append(event.text or "")
    return [
        _item(event, names, customer_name or "Customer", team_labels, flagged) for event in events
    ]


def _item(
    event: Event,
    names: Mapping[str, str],
    customer: str,
    labels: Mapping[str, str],
    flagged: Mapping[int, list[str]],
) -> Item:
    payload = event.payload or {}
    text = event.text or ""
    if event.kind == EventKind.MESSAGE_OUT and event.source == Source.AI_AGENT:
        return Item(
            event.id,
            "ai",
            event.created_at,
            "AI",
            text,
            citations=tuple(_citations(payload.get("citations"))),
            flaggable=True,
            flags=tuple(flagged.get(event.id, ())),
        )
    style, who = _style_and_author(event, names, customer, labels)
    if style == "flag":
        text = f"{_author(event, names)} marked an AI answer as wrong: {text}"
    elif style in ("system", "decision"):
        text = describe(event, names, labels)
    return Item(event.id, style, event.created_at, who, text)


def _style_and_author(
    event: Event, names: Mapping[str, str], customer: str, labels: Mapping[str, str]
) -> tuple[str, str]:
    payload = event.payload or {}
    match event.kind:
        case EventKind.MESSAGE_IN if event.source == Source.DELEGATED_AGENT:
            return "customer", "AI agent for the customer"
        case EventKind.MESSAGE_IN:
            return "customer", customer
        case EventKind.MESSAGE_OUT:
            return "human", _author(event, names)
        case EventKind.HANDOFF:
            team = str(payload.get("team") or "support")
            priority = str(payload.get("priority") or "normal")
            return "handoff", f"Handed over to {labels.get(team, team)} · {priority} priority"
        case EventKind.NOTE:
            return "note", f"Internal note · {_author(event, names)}"
        case EventKind.FLAG:
            return "flag", "Flag"
        case EventKind.DECISION:
            return "decision", ""
        case _:
            return "system", ""


def describe(event: Event, names: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """One line for an assignment, a status change, a decision, an action or an approval."""
    payload = event.payload or {}
    if event.kind == EventKind.ASSIGNMENT:
        action = str(payload.get("action") or "")
        agent_id = str(payload.get("agent_id") or event.actor or "")
        template = ACTIONS.get(action, "{who}: " + action.replace("_", " "))
        return template.format(
            who=names.get(agent_id, "an agent"),
            from_team=labels.get(str(payload.get("from_team")), payload.get("from_team")),
            to_team=labels.get(str(payload.get("to_team")), payload.get("to_team")),
        )
    if event.kind == EventKind.STATUS_CHANGE:
        moved = f"{_status(payload.get('from'))} → {_status(payload.get('to'))}"
        why = payload.get("why")
        return f"Status: {moved}" + (f" ({why})" if why else "")
    if event.kind == EventKind.DECISION:
        return decision_line(payload.get("decision"), labels)
    if event.kind in (EventKind.ACTION, EventKind.APPROVAL) and event.text:
        return f"{event.actor}: {event.text}" if event.actor else event.text
    return str(event.kind).replace("_", " ")


def decision_line(decision: Any, labels: Mapping[str, str]) -> str:
    if not isinstance(decision, dict):
        return "Decision recorded"
    route = str(decision.get("route") or "?").replace("_", " ")
    team = decision.get("team")
    line = f"Decision: {route}" + (f" to {labels.get(str(team), team)}" if team else "")
    rules = decision.get("matched_rules") or decision.get("rules") or []
    if isinstance(rules, list) and rules and isinstance(rules[0], dict):
        first = rules[0]
        line += f" · rule {first.get('id', '?')} (owner {first.get('owner', '?')})"
    if decision.get("policy_version"):
        line += f" · policy {decision['policy_version']}"
    return line


def _status(value: Any) -> str:
    return str(value or "?").replace("_", " ")


def _author(event: Event, names: Mapping[str, str]) -> str:
    agent = (event.payload or {}).get("agent")
    if isinstance(agent, dict) and agent.get("name"):
        return str(agent["name"])
    return names.get(event.actor or "", "an agent")


def _citations(value: Any) -> Iterable[CitationView]:
    if not isinstance(value, list):
        return
    for citation in value:
        if isinstance(citation, dict):
            yield CitationView(
                title=str(citation.get("title") or citation.get("article_id") or "article"),
                heading=str(citation.get("heading") or ""),
                url=citation.get("url") if isinstance(citation.get("url"), str) else None,
            )


def actor_ids(events: Iterable[Event]) -> set[str]:
    """Every agent id the events mention, to look their names up in one query."""
    ids: set[str] = set()
    for event in events:
        if event.actor:
            ids.add(event.actor)
        agent_id = (event.payload or {}).get("agent_id")
        if isinstance(agent_id, str):
            ids.add(agent_id)
    return ids
