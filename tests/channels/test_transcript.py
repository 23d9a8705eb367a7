"""What of a conversation's log the customer sees: an allow-list, event by event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from relaydesk.channels.transcript import SourceLink, WaitOut, customer_view
from relaydesk.conversations.models import Event, EventKind, Source


def event(kind: EventKind, source: Source, text: str = "hello", **payload: Any) -> Event:
    created = datetime(2026, 1, 5, tzinfo=UTC)
    return Event(id=7, conversation_id="c1", kind=kind, source=source, actor="agent-1",
                 text=text, payload=payload, created_at=created)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        (EventKind.NOTE, Source.HUMAN_AGENT),
        (EventKind.DECISION, Source.SYSTEM),
        (EventKind.ASSIGNMENT, Source.SYSTEM),
        (EventKind.STATUS_CHANGE, Source.SYSTEM),
        (EventKind.MESSAGE_OUT, Source.SYSTEM),
        (EventKind.MESSAGE_IN, Source.DELEGATED_AGENT),
    ],
)
def test_internal_events_are_not_shown(kind: EventKind, source: Source) -> None:
    assert customer_view(event(kind, source)) is None


def test_an_ai_reply_shows_each_article_once_and_only_web_links() -> None:
    citations = [
        {"article_id": "kb-1", "title": "Returns", "url": "https://help.example/returns",
         "heading": "Window", "version": "3"},
        {"article_id": "kb-1", "title": "Returns", "url": "https://help.example/returns",
         "heading": "Labels", "version": "3"},
        {"article_id": "kb-2", "title": "Odd link", "url": "javascript:alert(1)"},
        {"article_id": "kb-3"},
    ]  # fmt: skip
    shown = customer_view(event(EventKind.MESSAGE_OUT, Source.AI_AGENT, citations=citations))
    assert shown is not None
    assert shown.role == "ai"
    assert shown.sources == [
        SourceLink(title="Returns", url="https://help.example/returns"),
        SourceLink(title="Odd link", url=None),
    ]
    assert shown.author is None
    assert shown.wait is None


def test_a_human_reply_shows_only_the_person_s_name() -> None:
    payload = {"agent": {"name": " Maya ", "team": "billing", "email": "maya@stride.example"}}
    shown = customer_view(event(EventKind.MESSAGE_OUT, Source.HUMAN_AGENT, **payload))
    assert shown is not None
    assert (shown.role, shown.author) == ("human", "Maya")
    assert "billing" not in shown.model_dump_json()
    assert "agent-1" not in shown.model_dump_json()
    nameless = customer_view(event(EventKind.MESSAGE_OUT, Source.HUMAN_AGENT, agent="x"))
    assert nameless is not None
    assert nameless.author == "Support"


def test_a_handoff_shows_its_text_and_the_wait_without_queue_internals() -> None:
    wait = {"team": "billing", "label": "Billing", "minutes": 4, "phrase": "about 4 minutes",
            "waiting": 12, "agents": 3, "arrivals_per_hour": 9.5}  # fmt: skip
    shown = customer_view(event(EventKind.HANDOFF, Source.AI_AGENT, "Passing you on.",
                                wait=wait, packet={"signals": []}, priority="high"))  # fmt: skip
    assert shown is not None
    assert shown.text == "Passing you on."
    assert shown.wait == WaitOut(minutes=4, phrase="about 4 minutes", team="Billing")
    assert set(shown.model_dump()) == {"id", "role", "text", "created_at", "author", "sources",
                                       "wait"}  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "wait"),
    [
        ({}, None),
        ({"team_label": "Customer care"}, WaitOut(team="Customer care")),
        ({"wait": {"minutes": True, "phrase": 3}}, None),
        ({"wait": {"minutes": None, "label": "Senior support"}}, WaitOut(team="Senior support")),
    ],
)
def test_a_handoff_without_a_usable_wait_still_shows(
    payload: dict[str, Any], wait: WaitOut | None
) -> None:
    shown = customer_view(event(EventKind.HANDOFF, Source.AI_AGENT, **payload))
    assert shown is not None
    assert shown.text == "hello"
    assert shown.wait == wait
