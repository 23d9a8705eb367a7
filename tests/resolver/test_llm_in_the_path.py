"""A model behind the message path, over the HTTP API: a grounded answer goes to the customer
with its source; an answer its sources do not support never does, and a person takes over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.openai_server import FakeModelServer, fake_model_server

from relaydesk.app import create_app
from relaydesk.permissions.api_keys import create_key
from relaydesk.settings import Settings


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with fake_model_server() as server:
        yield server


@pytest.fixture
def client(server: FakeModelServer, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'llm.db'}",
        llm_provider="openai",
        llm_model="test-model",
        llm_base_url=f"{server.url}/v1",
        llm_api_key="test-key",
        llm_timeout_seconds=5,
        llm_max_retries=0,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def ask(client: TestClient, text: str) -> dict:  # type: ignore[type-arg]
    with client.app.state.database.write() as session:  # type: ignore[attr-defined]
        _, key = create_key(session, f"k{len(text)}-{id(text)}")
    response = client.post(
        "/v1/messages",
        json={"channel": "web", "text": text},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_grounded_model_answer_goes_out_with_its_source(
    client: TestClient, server: FakeModelServer
) -> None:
    server.script(
        "Go to stride.example/login and select Forgot password, then enter the email address "
        "on your account [1]. We'll send you a reset link [1]."
    )
    body = ask(client, "How do I reset my password?")
    assert body["decision"]["route"] == "ai_reply", body["decision"]
    assert body["reply"]["text"].startswith("Go to stride.example/login")
    assert "[1]" not in body["reply"]["text"]
    assert body["reply"]["citations"][0]["article_id"] == "kb-reset-password"
    prompt = server.requests[0].body["messages"]
    assert "Forgot password" in str(prompt)  # the model saw the retrieved passage


def test_an_unsupported_model_answer_is_never_sent(
    client: TestClient, server: FakeModelServer
) -> None:
    server.script("You can reset your password by calling us on 0800 123 456 [1].")
    body = ask(client, "How do I reset my password?")
    assert body["decision"]["route"] == "handoff"
    assert body["reply"] is None
    assert "0800" not in str(body["handoff"])
    headers = {"Authorization": f"Bearer {_key(client)}"}
    listed = client.get(f"/v1/decisions?conversation_id={body['conversation_id']}", headers=headers)
    seq = listed.json()["items"][0]["seq"]
    attempt = client.get(f"/v1/decisions/{seq}", headers=headers).json()["facts"]["attempt"]
    assert attempt["flags"] == ["unsupported_sentence"]
    assert attempt["resolver"] == "llm:openai:test-model"
    assert attempt["has_answer"] is False


def _key(client: TestClient) -> str:
    with client.app.state.database.write() as session:  # type: ignore[attr-defined]
        _, key = create_key(session, "reader")
    return key
