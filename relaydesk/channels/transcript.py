"""What a customer may see of their conversation, and nothing more.

A conversation's log also holds decisions, notes, assignments, status changes and internal
payloads (signals, rules, who handled it). The widget shows only four things, each built here
from an allow-list of fields, never by passing a payload through:

    customer  their own messages (message_in from the customer)
    ai        AI replies (message_out from ai_agent) with their sources: title and url
    handoff   the handoff message, and the wait (minutes, phrase, team) when there is one
    human     a person's reply (message_out from human_agent) with the person's name only
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import Event, EventKind, Source

VISIBLE_KINDS = (EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT, EventKind.HANDOFF)
DEFAULT_AUTHOR = "Support"
Role = Literal["customer", "ai", "handoff", "human"]


class SourceLink(BaseModel):
    title: str
    url: str | None = None


class WaitOut(BaseModel):
    """How long until a person replies, as the queue estimated it at the handoff."""

    minutes: int | None = None
    phrase: str | None = None  # "about 4 minutes", or why there is no number
    team: str | None = None  # the team's label, "Billing"


class WidgetEvent(BaseModel):
    id: int
    role: Role
    text: str
    created_at: datetime
    author: str | None = None  # human replies: the person's name
    sources: list[SourceLink] = []  # AI replies: the articles the answer came from
    wait: WaitOut | None = None  # handoffs


class Page(NamedTuple):
    events: list[WidgetEvent]
    next_after: int  # the last event id read, shown or not: where the next page starts
    more: bool


def visible_events(session: Session, conversation_id: str, after: int, limit: int = 100) -> Page:
    """The customer-visible events after event ``after``, oldest first."""
    query = (
        select(Event)
        .where(
            Event.conversation_id == conversation_id,
            Event.id > after,
            Event.kind.in_(VISIBLE_KINDS),
        )
        .order_by(Event.id)
        .limit(limit)
    )
    rows = session.scalars(query).all()
    shown = [event for event in (customer_view(row) for row in rows) if event is not None]
    return Page(shown, rows[-1].id if rows else after, more=len(rows) == limit)


def latest_human_author(session: Session, conversation_id: str) -> str | None:
    """The name of the last person who replied, for "with Maya"."""
    query = (
        select(Event)
        .where(
            Event.conversation_id == conversation_id,
            Event.kind == EventKind.MESSAGE_OUT,
            Event.source == Source.HUMAN_AGENT,
        )
        .order_by(Event.id.desc())
        .limit(1)
    )
    event = session.scalar(query)
    return None if event is None else _author(event.payload)


def customer_view(event: Event) -> WidgetEvent | None:
    """The event as the customer sees it, or None if it is not theirs to see."""
    role = _role(event.kind, event.source)
    if role is None:
        return None
    payload = event.payload or {}
    return WidgetEvent(
        id=event.id,
        role=role,
        text=event.text or "",
        created_at=event.created_at,
        author=_author(payload) if role == "human" else None,
        sources=_sources(payload) if role == "ai" else [],
        wait=_wait(payload.get("wait"), payload.get("team_label")) if role == "handoff" else None,
    )


def _role(kind: str, source: str) -> Role | None:
    match (kind, source):
        case (EventKind.MESSAGE_IN, Source.CUSTOMER):
            return "customer"
        case (EventKind.MESSAGE_OUT, Source.AI_AGENT):
            return "ai"
        case (EventKind.MESSAGE_OUT, Source.HUMAN_AGENT):
            return "human"
        case (EventKind.HANDOFF, _):
            return "handoff"
    return None


def _author(payload: dict[str, Any]) -> str:
    person = payload.get("agent")
    name = person.get("name") if isinstance(person, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else DEFAULT_AUTHOR


def _sources(payload: dict[str, Any]) -> list[SourceLink]:
    links: list[SourceLink] = []
    for citation in payload.get("citations") or []:
        if not isinstance(citation, dict) or not isinstance(citation.get("title"), str):
            continue
        url = citation.get("url")
        safe = isinstance(url, str) and url.startswith(("https://", "http://"))
        links.append(SourceLink(title=citation["title"], url=url if safe else None))
    return list({link.title: link for link in links}.values())  # one link per article


def _wait(given: Any, team_label: Any) -> WaitOut | None:
    wait = given if isinstance(given, dict) else {}
    minutes, phrase = wait.get("minutes"), wait.get("phrase")
    team = wait.get("label", team_label)
    shown = WaitOut(
        minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None,
        phrase=phrase if isinstance(phrase, str) else None,
        team=team if isinstance(team, str) else None,
    )
    return shown if shown != WaitOut() else None
