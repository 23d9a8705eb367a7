"""The conversation page and what people do on it, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from factories import message
from fastapi.testclient import TestClient
from sqlalchemy import select
from workspace_support import Browser, BrowserFactory

from relaydesk.conversations.models import Event, EventKind, Source
from relaydesk.db import Database
from relaydesk.queue.models import AgentRole, Claim

HandOver = Callable[..., str]
TOKEN = re.compile(r'name="fencing_token" value="(\d+)"')


@pytest.fixture
def events_of(client: TestClient, auth: dict[str, str]) -> Callable[[str], list[dict[str, Any]]]:
    def read(conversation_id: str) -> list[dict[str, Any]]:
        detail = client.get(f"/v1/conversations/{conversation_id}", headers=auth).json()
        events: list[dict[str, Any]] = detail["events"]
        return events

    return read


def claimed(browser: Browser, conversation_id: str) -> int:
    """Claim through the page; the fencing token the reply form now carries."""
    response = browser.post(f"/workspace/conversations/{conversation_id}/claim")
    assert response.status_code == 200, response.text
    found = TOKEN.search(response.text)
    assert found, "no fencing token in the owner controls"
    return int(found.group(1))


def url(conversation_id: str, action: str = "") -> str:
    return f"/workspace/conversations/{conversation_id}" + (f"/{action}" if action else "")


def test_the_page_shows_transcript_packet_and_claim(
    browser: BrowserFactory, handed_over: HandOver
) -> None:
    conversation_id = handed_over(name="Dana Reyes")
    page = browser("Maya").client.get(url(conversation_id))
    assert page.status_code == 200
    html = page.text
    for hook in ('id="transcript"', 'class="event event-customer"', 'class="event event-handoff"',
                 'id="context-packet"', 'id="packet-summary"', 'id="packet-signals"',
                 'id="packet-rules"', 'id="packet-steps"', 'id="claim-button"', 'id="note-text"',
                 'id="note-send"', 'id="flash"', 'role="alert"'):  # fmt: skip
        assert hook in html, hook
    assert "person-on-request" in html  # the rule that handed over, with its owner
    assert "talk to a real person" in html  # the signal's evidence
    assert 'id="reply-text"' not in html  # only the owner replies


def test_claim_then_reply_reaches_the_customer(
    browser: BrowserFactory, handed_over: HandOver, events_of: Callable[..., list[dict[str, Any]]]
) -> None:
    conversation_id = handed_over()
    maya = browser("Maya")
    token = claimed(maya, conversation_id)
    page = maya.client.get(url(conversation_id)).text
    for hook in ('id="reply-text"', 'id="reply-send"', 'id="resolve-button"',
                 'id="hand-back-button"', 'id="transfer-team"', 'id="transfer-button"',
                 'id="release-button"'):  # fmt: skip
        assert hook in page, hook
    response = maya.post(url(conversation_id, "reply"), fencing_token=token, text="Hi Dana, on it.")
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "transcript-changed"
    assert "Reply sent" in response.text
    replies = [e for e in events_of(conversation_id) if e["kind"] == "message_out"]
    assert [(e["source"], e["text"]) for e in replies] == [("human_agent", "Hi Dana, on it.")]
    transcript = maya.client.get(url(conversation_id)).text
    assert 'class="event event-human"' in transcript


def test_someone_else_replying_gets_409_naming_the_owner(
    browser: BrowserFactory, handed_over: HandOver, events_of: Callable[..., list[dict[str, Any]]]
) -> None:
    conversation_id = handed_over()
    maya, omar = browser("Maya"), browser("Omar")
    token = claimed(maya, conversation_id)
    before = len(events_of(conversation_id))
    for given in (token, token + 1000):  # Maya's own token, and a made-up one
        refused = omar.post(url(conversation_id, "reply"), fencing_token=given, text="Me too")
        assert refused.status_code == 409
        assert "owned by Maya" in refused.text
        assert refused.headers["HX-Retarget"] == "#flash"
    stolen = omar.post(url(conversation_id, "claim"))
    assert stolen.status_code == 409
    assert f"conversation {conversation_id} is owned by Maya (claim" in stolen.text
    assert len(events_of(conversation_id)) == before


def test_a_stale_token_writes_nothing(
    browser: BrowserFactory, handed_over: HandOver, events_of: Callable[..., list[dict[str, Any]]]
) -> None:
    conversation_id = handed_over()
    maya = browser("Maya")
    token = claimed(maya, conversation_id)
    assert maya.post(url(conversation_id, "release"), fencing_token=token).status_code == 200
    fresh = claimed(maya, conversation_id)
    assert fresh > token
    before = len(events_of(conversation_id))
    stale = maya.client.post(
        url(conversation_id, "reply"),
        data={"csrf_token": maya.csrf, "fencing_token": token, "text": "late"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver" + url(conversation_id),
        },
    )
    assert stale.status_code == 409
    assert "your claim is no longer valid" in stale.text
    assert f'<a href="{url(conversation_id)}">Reload the page</a>' in stale.text
    assert len(events_of(conversation_id)) == before


def test_a_note_is_internal(
    browser: BrowserFactory, handed_over: HandOver, events_of: Callable[..., list[dict[str, Any]]]
) -> None:
    conversation_id = handed_over()
    omar = browser("Omar")  # anyone may add a note, owner or not
    response = omar.post(url(conversation_id, "note"), text="VIP, be gentle")
    assert response.status_code == 200
    assert 'id="note-form"' in response.text
    events = events_of(conversation_id)
    assert [(e["kind"], e["source"]) for e in events if e["text"] == "VIP, be gentle"] == [
        ("note", "human_agent")
    ]
    assert not [e for e in events if e["kind"] == "message_out"]
    page = omar.client.get(url(conversation_id)).text
    assert 'class="event event-note"' in page


def test_resolve_ends_the_claim(
    browser: BrowserFactory, handed_over: HandOver, app_database: Database
) -> None:
    conversation_id = handed_over()
    maya = browser("Maya")
    token = claimed(maya, conversation_id)
    response = maya.post(url(conversation_id, "resolve"), fencing_token=token)
    assert response.status_code == 200
    assert "Resolved" in response.text
    assert 'id="reply-text"' not in response.text
    with app_database.read() as session:
        claim = session.scalars(select(Claim).where(Claim.fencing_token == token)).one()
    assert (claim.released_at is not None, claim.reason) == (True, "resolved")
    again = maya.post(url(conversation_id, "resolve"), fencing_token=token)
    assert again.status_code == 409


def test_transfer_hand_back_and_release(
    browser: BrowserFactory, handed_over: HandOver, client: TestClient, auth: dict[str, str]
) -> None:
    def status(conversation_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = client.get(url_v1(conversation_id), headers=auth).json()
        return detail

    first, second, third = handed_over(), handed_over(), handed_over()
    maya = browser("Maya", capacity=5)
    token = claimed(maya, first)
    unknown = maya.post(url(first, "transfer"), fencing_token=token, team="nope")
    assert unknown.status_code == 422
    assert "there is no team &#39;nope&#39;" in unknown.text
    moved = maya.post(url(first, "transfer"), fencing_token=token, team="billing")
    assert moved.status_code == 200
    assert "Transferred to Billing" in moved.text
    assert (status(first)["status"], status(first)["team"]) == ("waiting_for_human", "billing")
    maya.post(url(second, "hand-back"), fencing_token=claimed(maya, second))
    assert status(second)["status"] == "open"
    maya.post(url(third, "release"), fencing_token=claimed(maya, third))
    assert status(third)["status"] == "waiting_for_human"


def url_v1(conversation_id: str) -> str:
    return f"/v1/conversations/{conversation_id}"


def test_actions_without_javascript_redirect_back(
    browser: BrowserFactory, handed_over: HandOver
) -> None:
    conversation_id = handed_over()
    maya = browser("Maya")
    response = maya.post(url(conversation_id, "claim"), htmx=False)
    assert response.status_code == 303
    assert response.headers["location"] == url(conversation_id)
    refused = browser("Omar").post(url(conversation_id, "claim"), htmx=False)
    assert refused.status_code == 409
    assert "<html" in refused.text
    assert "owned by Maya" in refused.text


def test_the_poll_returns_only_what_is_new(browser: BrowserFactory, handed_over: HandOver) -> None:
    conversation_id = handed_over()
    maya, omar = browser("Maya"), browser("Omar")
    poll = url(conversation_id, "events")
    everything = maya.client.get(poll, params={"after": 0, "claim": 0})
    last = max(int(i) for i in re.findall(r'data-event-id="(\d+)"', everything.text))
    assert maya.client.get(poll, params={"after": last, "claim": 0}).status_code == 204
    token = claimed(omar, conversation_id)
    changed = maya.client.get(poll, params={"after": last, "claim": 0})
    assert changed.status_code == 200
    assert "Omar claimed it" in changed.text
    assert 'id="owner-controls"' in changed.text
    assert 'hx-swap-oob="true"' in changed.text
    quiet = maya.client.get(poll, params={"after": last + 10, "claim": token})
    assert quiet.status_code == 204


def ai_answer(client: TestClient, auth: dict[str, str]) -> tuple[str, int]:
    body = client.post("/v1/messages", json=message(), headers=auth).json()
    assert body["decision"]["route"] == "ai_reply"
    detail = client.get(f"/v1/conversations/{body['conversation_id']}", headers=auth).json()
    answer = next(e for e in detail["events"] if e["source"] == "ai_agent")
    return body["conversation_id"], answer["id"]


def test_marking_an_ai_answer_wrong_creates_a_flag(
    browser: BrowserFactory, client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    conversation_id, answer_id = ai_answer(client, auth)
    maya = browser("Maya")
    page = maya.client.get(url(conversation_id)).text
    assert 'class="event event-ai"' in page
    assert f"/workspace/messages/{answer_id}/flag" in page
    response = maya.post(f"/workspace/messages/{answer_id}/flag", reason="wrong article")
    assert response.status_code == 200
    assert "Marked as wrong: wrong article" in response.text
    with app_database.read() as session:
        flags = session.scalars(select(Event).where(Event.kind == EventKind.FLAG)).all()
    assert [(f.caused_by, f.text, f.actor) for f in flags] == [
        (answer_id, "wrong article", maya.agent.id)
    ]
    reviewer = browser("Quinn", role=AgentRole.QA)
    listed = reviewer.client.get("/workspace/flags").text
    assert "wrong article" in listed
    assert "Maya" in listed


def test_only_ai_answers_can_be_flagged(browser: BrowserFactory, handed_over: HandOver) -> None:
    conversation_id = handed_over()
    maya = browser("Maya")
    token = claimed(maya, conversation_id)
    maya.post(url(conversation_id, "reply"), fencing_token=token, text="hello")
    page = maya.client.get(url(conversation_id)).text
    human = re.findall(r'class="event event-human" id="event-(\d+)"', page)
    refused = maya.post(f"/workspace/messages/{human[0]}/flag", reason="meh")
    assert refused.status_code == 422


def test_an_admin_reassigns(browser: BrowserFactory, handed_over: HandOver) -> None:
    conversation_id = handed_over()
    maya, omar = browser("Maya"), browser("Omar")
    claimed(maya, conversation_id)
    assert maya.post(url(conversation_id, "reassign"), to_agent_id=omar.agent.id).status_code == 403
    admin = browser("Ada", role=AgentRole.ADMIN)
    page = admin.client.get(url(conversation_id)).text
    assert 'id="reassign-agent"' in page
    moved = admin.post(url(conversation_id, "reassign"), to_agent_id=omar.agent.id)
    assert moved.status_code == 200
    assert "Reassigned to Omar" in moved.text
    assert 'id="reply-text"' in omar.client.get(url(conversation_id)).text


def test_customer_text_is_escaped_in_the_transcript(
    browser: BrowserFactory, handed_over: HandOver
) -> None:
    conversation_id = handed_over("let me talk to a real person <script>alert(1)</script>")
    maya = browser("Maya")
    page = maya.client.get(url(conversation_id)).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    maya.post(url(conversation_id, "note"), text='<img src=x onerror="alert(2)">')
    polled = maya.client.get(url(conversation_id, "events")).text
    assert "<img src=x" not in polled
    assert "&lt;img src=x" in polled


def test_a_handoff_without_a_packet_still_renders(
    browser: BrowserFactory, handed_over: HandOver, app_database: Database
) -> None:
    conversation_id = handed_over()
    with app_database.write() as session:
        handoff = session.scalars(
            select(Event).where(Event.conversation_id == conversation_id, Event.kind == "handoff")
        ).one()
        session.add(
            Event(
                conversation_id=conversation_id,
                kind=EventKind.HANDOFF,
                source=Source.AI_AGENT,
                caused_by=handoff.caused_by,
                text="An older handoff",
                payload={"team": "frontline", "ask": "a person please", "checked": ["Returns"]},
            )
        )
    page = browser("Maya").client.get(url(conversation_id))
    assert page.status_code == 200
    assert "came without a context packet" in page.text
    assert "a person please" in page.text  # the ask, as the summary
    assert "person-on-request" in page.text  # rules from the decision
    assert "Human request" in page.text  # signals from the decision record's facts


def test_an_unknown_conversation_is_404(browser: BrowserFactory) -> None:
    page = browser("Maya").client.get(url("nope"))
    assert page.status_code == 404
    assert "conversation nope does not exist" in page.text
