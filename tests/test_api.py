"""The HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from factories import message
from fastapi.testclient import TestClient

from relaydesk.policy import load_policy_file
from relaydesk.settings import MAX_MESSAGE_CHARS, Settings


def stored_messages(client: TestClient, auth: dict[str, str]) -> int:
    conversations = client.get("/v1/conversations?limit=100", headers=auth).json()["items"]
    total = 0
    for conversation in conversations:
        events = client.get(f"/v1/conversations/{conversation['id']}", headers=auth).json()
        total += sum(1 for event in events["events"] if event["kind"] == "message_in")
    return total


def test_a_request_for_a_person_is_handed_over(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/v1/messages", json=message("Can I talk to a real person?"),
                           headers=auth)  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body["decision"]["route"] == "handoff"
    assert body["decision"]["reasons"][0].startswith("customer asked for a person")
    assert body["decision"]["policy_version"]
    assert body["handoff"]["team"] == "frontline"
    assert body["reply"] is None


def test_a_plain_question_is_answered_with_sources(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = client.post("/v1/messages", json=message(), headers=auth).json()
    assert body["decision"]["route"] == "ai_reply"
    assert "Forgot password" in body["reply"]["text"]
    assert body["reply"]["citations"][0]["article_id"] == "kb-reset-password"


def test_idempotency_key_replays_the_first_result(client: TestClient, auth: dict[str, str]) -> None:
    headers = {**auth, "Idempotency-Key": "retry-1"}
    first = client.post("/v1/messages", json=message(), headers=headers)
    again = client.post("/v1/messages", json=message(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**first.json(), "replayed": True}
    different = client.post("/v1/messages", json=message("other"), headers=headers)
    assert different.status_code == 422
    assert "Idempotency-Key" in different.json()["error"]["message"]
    assert stored_messages(client, auth) == 1


def test_conversation_continues_and_lists_its_events(
    client: TestClient, auth: dict[str, str]
) -> None:
    first = client.post("/v1/messages", json=message(), headers=auth).json()
    conversation_id = first["conversation_id"]
    client.post("/v1/messages", json=message("I want a human", conversation_id=conversation_id),
                headers=auth)  # fmt: skip
    detail = client.get(f"/v1/conversations/{conversation_id}", headers=auth).json()
    kinds = [event["kind"] for event in detail["events"]]
    assert kinds == ["message_in", "decision", "message_out", "message_in", "decision",
                     "handoff", "status_change"]  # fmt: skip
    assert detail["status"] == "waiting_for_human"
    assert detail["events"][0]["source"] == "customer"
    assert detail["events"][2]["source"] == "ai_agent"


def test_conversations_filter_and_paginate(client: TestClient, auth: dict[str, str]) -> None:
    for index in range(5):
        text = "I want a human" if index % 2 else "How do I reset my password?"
        client.post("/v1/messages", json=message(text), headers=auth)
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/v1/conversations{query}", headers=auth).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    waiting = client.get("/v1/conversations?status=waiting_for_human", headers=auth).json()
    assert len(waiting["items"]) == 2


BAD_INPUTS = [
    (b'{"channel": "web", "text": ""}', 422, "text"),
    (b'{"channel": "web", "text": "   "}', 422, "text"),
    (b'{"channel": "web", "text": "' + b"x" * (MAX_MESSAGE_CHARS + 1) + b'"}', 422, "10000"),
    (b'{"channel": "web", "text": "caf\xe9"}', 400, "UTF-8"),
    (b'{"channel": "web", "text": "hi"', 400, "JSON"),
    (b"not json at all", 400, "JSON"),
    (b'{"channel": "web", "text": "a\\u0000b"}', 422, "NUL"),
    (b'{"channel": "web", "text": "\\ud800"}', 422, "text"),
    (b'{"channel": "Web Chat!", "text": "hi"}', 422, "channel"),
    (b'{"text": "hi"}', 422, "channel"),
    (b'{"channel": "web", "text": "hi", "surprise": 1}', 422, "surprise"),
    (b'{"channel": "web", "text": "hi", "customer": {"email": "nope"}}', 422, "email"),
    (b'["channel", "web"]', 422, "body"),
    (b'{"channel": "web", "text": "hi", "conversation_id": "missing"}', 404, "missing"),
    (b"{" + b" " * 300_000 + b"}", 413, "bytes"),
]


@pytest.mark.parametrize(("body", "status", "mentions"), BAD_INPUTS)
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(
    client: TestClient, auth: dict[str, str], body: bytes, status: int, mentions: str
) -> None:
    response = client.post(
        "/v1/messages", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert mentions in response.json()["error"]["message"]
    assert stored_messages(client, auth) == 0


def test_unknown_conversation_is_404(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/conversations/nope", headers=auth)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "conversation nope does not exist"


def test_bad_cursor_is_400(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/conversations?cursor=%%%", headers=auth)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer rd_wrong"}, {"X-API-Key": "rd_wrong"}],
)
def test_writes_and_reads_need_a_valid_api_key(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/v1/messages", json=message(), headers=headers).status_code == 401
    assert client.get("/v1/conversations", headers=headers).status_code == 401


def test_x_api_key_header_works_too(client: TestClient, api_key: str) -> None:
    response = client.post("/v1/messages", json=message(), headers={"X-API-Key": api_key})
    assert response.status_code == 201


def test_health_metrics_and_openapi(client: TestClient, auth: dict[str, str]) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    client.post("/v1/messages", json=message(), headers=auth)
    metrics = client.get("/metrics").text
    assert 'relaydesk_messages_total{channel="web",route="ai_reply"} 1.0' in metrics
    version = load_policy_file(Settings().policy_file).version
    assert (
        f'relaydesk_decisions_total{{arm="none",policy_version="{version}",'
        'route="ai_reply",rule="ai-answers"} 1.0'
    ) in metrics
    assert 'route="/v1/messages"' in metrics
    spec = client.get("/openapi.json").json()
    assert {"/v1/messages", "/v1/conversations", "/v1/conversations/{conversation_id}"} <= set(
        spec["paths"]
    )
