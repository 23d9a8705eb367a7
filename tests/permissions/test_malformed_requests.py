"""Done when: malformed grants, tokens and action arguments get a clear 4xx, and nothing runs."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from support.actions import effects, runs, seed_shop

from relaydesk.db import Database
from relaydesk.permissions.grants import PREFIX, SALT

GOOD = {
    "customer_id": "cus_1001",
    "agent_id": "shopper.example",
    "scopes": ["answer", "request_refund"],
    "refund_limit": "50",
}


@pytest.fixture
def app_database(client: TestClient) -> Database:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    seed_shop(database)
    return database


@pytest.fixture
def token(client: TestClient, auth: dict[str, str], app_database: Database) -> str:
    issued: str = client.post("/v1/grants", json=GOOD, headers=auth).json()["token"]
    return issued


BAD_GRANTS: list[tuple[dict[str, Any], int, str]] = [
    ({"scopes": ["refund_everything"]}, 422, "scopes"),
    ({"scopes": []}, 422, "scopes"),
    ({"scopes": ["answer", "answer"]}, 422, "repeat"),
    ({"scopes": ["answer"], "refund_limit": "10"}, 422, "request_refund scope"),
    ({"refund_limit": "-1"}, 422, "refund_limit"),
    ({"refund_limit": "10.001"}, 422, "refund_limit"),
    ({"expires_in_minutes": 0}, 422, "expires_in_minutes"),
    ({"agent_id": "bad agent id with spaces"}, 422, "agent_id"),
    ({"act_as": "admin"}, 422, "act_as"),
    ({"customer_id": "cus_9999"}, 404, "does not exist"),
]


def test_a_malformed_grant_is_refused(
    client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    for change, status, words in BAD_GRANTS:
        response = client.post("/v1/grants", json={**GOOD, **change}, headers=auth)
        assert response.status_code == status, (change, response.text)
        assert words in response.text, (change, response.text)


def test_a_grant_needs_an_api_key(client: TestClient, app_database: Database) -> None:
    assert client.post("/v1/grants", json=GOOD).status_code == 401


def forged(payload: Any, secret: str = "another-secret") -> str:
    return PREFIX + URLSafeSerializer(secret, salt=SALT).dumps(payload)


BAD_TOKENS = [
    (None, "grant token is required"),
    ("Bearer nonsense", "not a Relaydesk grant token"),
    ("Bearer rdg_nonsense", "signature is invalid"),
    ("Bearer " + forged({"g": "x", "e": 4_000_000_000}), "signature is invalid"),
]


def test_a_malformed_token_is_refused(client: TestClient, app_database: Database) -> None:
    body = {"action": "refund", "arguments": {"order_id": "SR-20417", "amount": "10"}}
    for header, words in BAD_TOKENS:
        headers = {"Authorization": header} if header else {}
        response = client.post("/v1/delegated/actions", json=body, headers=headers)
        assert response.status_code == 401, response.text
        assert words in response.json()["error"]["message"]
    assert effects(app_database) == 0
    assert runs(app_database) == []


def test_an_api_key_is_not_a_grant_token(client: TestClient, auth: dict[str, str]) -> None:
    body = {"action": "order_status", "arguments": {"order_id": "SR-20417"}}
    assert client.post("/v1/delegated/actions", json=body, headers=auth).status_code == 401


BAD_ACTIONS: list[tuple[dict[str, Any], int, str]] = [
    ({"action": "refund_everything", "arguments": {}}, 422, "unknown action"),
    ({"action": "refund", "arguments": {"order_id": "SR-20417"}}, 422, "amount"),
    ({"action": "refund", "arguments": {"order_id": "../admin", "amount": "1"}}, 422, "order_id"),
    ({"action": "refund", "arguments": {"order_id": "SR-20417", "amount": "1.001"}}, 422, "amount"),
    ({"action": "refund", "arguments": {"order_id": "SR-20417", "amount": "ten"}}, 422, "amount"),
    (
        {
            "action": "refund",
            "arguments": {"order_id": "SR-20417", "amount": "1", "approved": True},
        },
        422,
        "approved",
    ),
    (
        {"action": "refund", "arguments": {"order_id": "SR-99999", "amount": "1"}},
        404,
        "does not exist",
    ),
    ({"action": "refund", "arguments": "refund it all"}, 422, "arguments"),
    (
        {"action": "order_status", "arguments": {"order_id": "SR-20417"}, "actor": "admin"},
        422,
        "actor",
    ),
]


def test_malformed_arguments_are_refused_and_nothing_runs(
    client: TestClient, app_database: Database, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for body, status, words in BAD_ACTIONS:
        response = client.post("/v1/delegated/actions", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert words in response.text, (body, response.text)
    assert effects(app_database) == 0
    assert runs(app_database) == []
