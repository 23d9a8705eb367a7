"""The public widget API on SQLite and PostgreSQL: the real message path, seen as a customer."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from relaydesk.app import create_app
from relaydesk.channels.ratelimit import WidgetLimits
from relaydesk.conversations.models import Conversation, Customer, Event, EventKind, Source
from relaydesk.db import Database
from relaydesk.settings import MAX_MESSAGE_CHARS, Settings

RESET = "How do I reset my password?"
PERSON = "let me talk to a real person"


def start(client: TestClient, **given: str) -> str:
    response = client.post("/widget/v1/sessions", json=given)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def send(client: TestClient, token: str, text: str, **fields: object) -> dict[str, object]:
    response = client.post("/widget/v1/messages", json={"text": text, **fields},
                           headers=bearer(token))  # fmt: skip
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def database_of(client: TestClient) -> Database:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    return database


def stored_messages(client: TestClient) -> int:
    with database_of(client).read() as session:
        query = select(func.count()).where(Event.kind == EventKind.MESSAGE_IN)
        return int(session.scalar(query) or 0)


def reply_as_person(client: TestClient, conversation_id: str, text: str) -> None:
    """What the agent workspace writes when a person replies, plus an internal note."""
    with database_of(client).write() as session:
        session.add(Event(conversation_id=conversation_id, kind=EventKind.NOTE,
                          source=Source.HUMAN_AGENT, actor="agent-7",
                          text="internal: refund likely, check order first"))  # fmt: skip
        session.add(Event(conversation_id=conversation_id, kind=EventKind.MESSAGE_OUT,
                          source=Source.HUMAN_AGENT, actor="agent-7", text=text,
                          payload={"agent": {"name": "Maya", "team": "billing"}}))  # fmt: skip


@pytest.fixture
def token(client: TestClient) -> str:
    return start(client, name="Ada", locale="en")


def test_a_session_stores_nothing_until_the_first_message(client: TestClient) -> None:
    body = client.post("/widget/v1/sessions", json={}).json()
    assert body["expires_in"] == 30 * 24 * 3600
    assert body["visitor_id"]
    assert body["token"]
    assert client.post("/widget/v1/sessions").status_code == 201  # no body at all
    with database_of(client).read() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_question_gets_an_ai_reply_with_its_source(client: TestClient, token: str) -> None:
    body = send(client, token, RESET, client_id="m-1")
    assert body["status"] == "open"
    assert body["replayed"] is False
    events = body["events"]
    assert isinstance(events, list)
    assert [e["role"] for e in events] == ["customer", "ai"]
    assert events[0]["text"] == RESET
    assert "Forgot password" in events[1]["text"]
    assert events[1]["sources"] == [
        {"title": "How to reset your password", "url": "https://help.stride.example/reset-password"}
    ]
    with database_of(client).read() as session:
        customer = session.scalars(select(Customer)).one()
    assert customer.external_id.startswith("web:")
    assert customer.name == "Ada"
    assert customer.attributes["locale"] == "en"


def test_the_whole_conversation_as_the_customer_sees_it(client: TestClient, token: str) -> None:
    first = send(client, token, RESET)
    token = str(first["token"])
    handed = send(client, token, PERSON)
    assert handed["conversation_id"] == first["conversation_id"]
    assert handed["status"] == "waiting_for_human"
    handoff = handed["events"][-1]  # type: ignore[index]
    assert handoff["role"] == "handoff"
    assert "passing your message" in handoff["text"]
    reply_as_person(client, str(first["conversation_id"]), "Hi Ada, Maya here. Let me look.")

    page = client.get("/widget/v1/events?after=0", headers=bearer(token)).json()
    assert [e["role"] for e in page["events"]] == ["customer", "ai", "customer", "handoff",
                                                   "human"]  # fmt: skip
    human = page["events"][-1]
    assert human["author"] == "Maya"
    assert human["text"].startswith("Hi Ada")
    assert page["human_agent"] == "Maya"
    assert page["status"] == "waiting_for_human"
    shown = json.dumps(page)
    for secret in ("internal: refund", "agent-7", "person-on-request", "packet", "signals",
                   "decision", "billing", "priority"):  # fmt: skip
        assert secret not in shown

    later = client.get(f"/widget/v1/events?after={page['next_after']}", headers=bearer(token))
    assert later.json()["events"] == []
    assert later.json()["next_after"] == page["next_after"]


def test_a_human_reply_without_a_name_is_from_support(client: TestClient, token: str) -> None:
    body = send(client, token, PERSON)
    with database_of(client).write() as session:
        session.add(Event(conversation_id=str(body["conversation_id"]),
                          kind=EventKind.MESSAGE_OUT, source=Source.HUMAN_AGENT,
                          actor="agent-9", text="On it."))  # fmt: skip
    page = client.get("/widget/v1/events", headers=bearer(str(body["token"]))).json()
    assert page["events"][-1] == {**page["events"][-1], "role": "human", "author": "Support"}


def test_a_new_visitor_has_no_events(client: TestClient, token: str) -> None:
    page = client.get("/widget/v1/events", headers=bearer(token)).json()
    assert page == {"conversation_id": None, "status": None, "human_agent": None, "events": [],
                    "next_after": 0, "more": False}  # fmt: skip


def test_visitors_see_only_their_own_conversation(client: TestClient) -> None:
    ada = send(client, start(client), RESET)
    bob = send(client, start(client), PERSON)
    ada_page = client.get("/widget/v1/events", headers=bearer(str(ada["token"]))).json()
    assert ada_page["conversation_id"] == ada["conversation_id"]
    assert PERSON not in json.dumps(ada_page)

    # Ada edits her token to point at Bob's conversation: the signature no longer matches.
    payload, stamp, signature = str(ada["token"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["conversation_id"] = bob["conversation_id"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    forged = f"{forged_payload}.{stamp}.{signature}"
    response = client.get("/widget/v1/events", headers=bearer(forged))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_visitor_token"
    refused = client.post("/widget/v1/messages", json={"text": "hello"}, headers=bearer(forged))
    assert refused.status_code == 401
    assert stored_messages(client) == 2


def test_a_token_signed_with_another_secret_is_refused(settings: Settings) -> None:
    other = settings.model_copy(update={"secret_key": "another-secret-entirely"})
    with TestClient(create_app(other)) as elsewhere:
        foreign = start(elsewhere)
    with TestClient(create_app(settings)) as client:
        response = client.get("/widget/v1/events", headers=bearer(foreign))
    assert response.status_code == 401
    assert "POST /widget/v1/sessions" in response.json()["error"]["message"]


def test_a_retry_with_the_same_client_id_stores_nothing_new(client: TestClient, token: str) -> None:
    first = send(client, token, RESET, client_id="retry-1")
    again = client.post("/widget/v1/messages", json={"text": RESET, "client_id": "retry-1"},
                        headers=bearer(token))  # fmt: skip
    assert again.status_code == 200
    body = again.json()
    assert body["replayed"] is True
    assert body["conversation_id"] == first["conversation_id"]
    assert body["events"] == first["events"]
    assert stored_messages(client) == 1
    changed = client.post("/widget/v1/messages", json={"text": PERSON, "client_id": "retry-1"},
                          headers=bearer(token))  # fmt: skip
    assert changed.status_code == 422
    assert "already used for a different message" in changed.json()["error"]["message"]
    # Another visitor using the same client id is a different message.
    send(client, start(client), RESET, client_id="retry-1")
    assert stored_messages(client) == 2


def test_a_chat_that_no_longer_exists_asks_for_a_new_one(
    settings: Settings, tmp_path: Path
) -> None:
    elsewhere = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'x.db'}"})
    with TestClient(create_app(elsewhere)) as other:
        token = str(send(other, start(other), RESET)["token"])
    with TestClient(create_app(settings)) as client:
        polled = client.get("/widget/v1/events", headers=bearer(token))
        sent = client.post("/widget/v1/messages", json={"text": "hi"}, headers=bearer(token))
        assert stored_messages(client) == 0
    for response in (polled, sent):
        assert response.status_code == 401
        assert "this chat no longer exists" in response.json()["error"]["message"]


def test_a_given_email_never_attaches_the_chat_to_that_customer(
    client: TestClient, auth: dict[str, str]
) -> None:
    known = {"channel": "email", "text": "Hello", "customer": {"id": "crm-1",
             "email": "vip@example.com", "tier": "vip"}}  # fmt: skip
    assert client.post("/v1/messages", json=known, headers=auth).status_code == 201
    token = start(client, email="vip@example.com")
    first = send(client, token, RESET)
    send(client, str(first["token"]), "thanks, and where is my order?")
    with database_of(client).read() as session:
        conversation = session.get(Conversation, first["conversation_id"])
        assert conversation is not None
        customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    assert customer.external_id != "crm-1"
    assert customer.tier is None
    assert customer.attributes["given_email"] == "vip@example.com"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"text": ""}, 422, "text: String should have at least 1 character"),
        ({"text": "   \n "}, 422, "text: String should have at least 1 character"),
        ({"text": "x" * (MAX_MESSAGE_CHARS + 1)}, 422, f"at most {MAX_MESSAGE_CHARS} characters"),
        ({"text": 5}, 422, "text: Input should be a valid string"),
        ({}, 422, "text: Field required"),
        (["hello"], 422, "valid dictionary"),
        ({"text": "hi", "channel": "email"}, 422, "channel: Extra inputs are not permitted"),
        ({"text": "hi", "client_id": "has spaces"}, 422, "client_id: String should match"),
        ({"text": "a\x00b"}, 422, "NUL"),
    ],
)
def test_bad_messages_are_refused_clearly(
    client: TestClient, token: str, body: object, status: int, says: str
) -> None:
    response = client.post("/widget/v1/messages", json=body, headers=bearer(token))
    assert response.status_code == status, response.text
    assert says in response.json()["error"]["message"]
    assert stored_messages(client) == 0


def test_malformed_requests_are_4xx_never_500(client: TestClient, token: str) -> None:
    headers = {**bearer(token), "Content-Type": "application/json"}
    not_json = client.post("/widget/v1/messages", content=b"{text: hi", headers=headers)
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == "malformed_json"
    no_token = client.post("/widget/v1/messages", json={"text": "hi"})
    assert no_token.status_code == 401
    assert "Authorization: Bearer" in no_token.json()["error"]["message"]
    bad_after = client.get("/widget/v1/events?after=-1", headers=bearer(token))
    assert bad_after.status_code == 422
    assert bad_after.json()["error"]["message"].startswith("query.after")
    for given, field in (({"email": "not-an-email"}, "email"), ({"locale": "en_US!"}, "locale"),
                         ({"name": ""}, "name"), ({"tier": "vip"}, "tier")):  # fmt: skip
        refused = client.post("/widget/v1/sessions", json=given)
        assert refused.status_code == 422
        assert refused.json()["error"]["message"].startswith(field)


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    """A client whose limits never refill: time stands still for its rate limiter."""
    strict = settings.model_copy(update={"widget_rate_per_minute": 1, "widget_burst": 2,
                                         "widget_ip_multiplier": 1,
                                         "widget_poll_per_minute": 6})  # fmt: skip
    with TestClient(create_app(strict)) as client:
        client.app.state.widget_limits = WidgetLimits(strict, clock=lambda: 0.0)  # type: ignore[attr-defined]
        yield client


def test_over_the_limit_is_429_with_retry_after_and_nothing_stored(limited: TestClient) -> None:
    token = start(limited)  # the IP's first token
    send(limited, token, RESET, client_id="a")  # the IP's second
    refused = limited.post("/widget/v1/messages", json={"text": PERSON, "client_id": "b"},
                           headers=bearer(token))  # fmt: skip
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "try again in 60 seconds" in error["message"]
    assert stored_messages(limited) == 1
    assert limited.post("/widget/v1/sessions", json={}).status_code == 429


def test_polling_has_its_own_limit(limited: TestClient) -> None:
    token = start(limited)
    polls = [limited.get("/widget/v1/events", headers=bearer(token)) for _ in range(2)]
    assert [p.status_code for p in polls] == [200, 429]  # 6 a minute: a burst of one
    assert polls[1].headers["Retry-After"] == "10"


def test_each_visitor_has_a_limit_within_the_ip_s(settings: Settings) -> None:
    roomy = settings.model_copy(update={"widget_rate_per_minute": 1, "widget_burst": 1,
                                        "widget_ip_multiplier": 10})  # fmt: skip
    with TestClient(create_app(roomy)) as client:
        client.app.state.widget_limits = WidgetLimits(roomy, clock=lambda: 0.0)  # type: ignore[attr-defined]
        token = start(client)
        send(client, token, RESET)
        refused = client.post("/widget/v1/messages", json={"text": PERSON}, headers=bearer(token))
        assert refused.status_code == 429
        send(client, start(client), PERSON)  # another visitor on the same IP still may
        assert stored_messages(client) == 2
