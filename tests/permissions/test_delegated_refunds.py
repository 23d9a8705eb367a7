"""Done when: a delegated agent with request_refund ≤ 50 gets a $40 refund on its customer's
order, is denied $60 (the case goes to a person with the reason), is denied any other
customer's order, and is denied everything after its grant is revoked or expires."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.actions import effects, issue_grant, seed_shop

from relaydesk.conversations.models import Conversation, Event, EventKind
from relaydesk.db import Database, utcnow
from relaydesk.permissions.models import Grant

OWN_ORDER = "SR-20417"  # cus_1001's, delivered, 153.00
OTHER_ORDER = "SR-20462"  # cus_1002's


@pytest.fixture
def app_database(client: TestClient) -> Database:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    seed_shop(database)
    return database


def act(client: TestClient, token: str, action: str, **arguments: Any) -> Any:
    body = {"action": action, "arguments": arguments}
    return client.post(
        "/v1/delegated/actions", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def refund(client: TestClient, token: str, order: str, amount: str) -> Any:
    return act(client, token, "refund", order_id=order, amount=amount)


def test_a_refund_within_the_grant_runs_once_with_its_evidence(
    client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    token = issue_grant(client, auth)["token"]
    response = refund(client, token, OWN_ORDER, "40")
    assert response.status_code == 200, response.text
    taken = response.json()["action"]
    assert taken["status"] == "ran"
    assert taken["policies"] == ["delegated-request-refund"]
    assert taken["result"]["amount"] == "40.00"
    assert effects(app_database, kind="refund", order_id=OWN_ORDER) == 1
    with app_database.read() as session:
        events = session.query(Event).filter(Event.kind == EventKind.ACTION).all()
    assert [e.source for e in events] == ["delegated_agent"]
    assert events[0].actor is not None
    assert events[0].actor.startswith("shopper.example for")
    assert events[0].payload["chain"]["act"]["sub"] == "shopper.example"


def test_a_refund_over_the_grant_goes_to_a_person_with_the_reason(
    client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    token = issue_grant(client, auth)["token"]
    response = refund(client, token, OWN_ORDER, "60")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["action"]["status"] == "awaiting_approval"
    assert body["action"]["policies"] == ["delegated-refund-over-grant"]
    assert effects(app_database) == 0
    with app_database.read() as session:
        conversation = session.get(Conversation, body["conversation_id"])
        assert conversation is not None
        assert (conversation.status, conversation.team) == ("waiting_for_human", "billing")
        handoff = session.query(Event).filter(Event.kind == EventKind.HANDOFF).one()
    assert "over the limit of the agent's grant" in (handoff.text or "")
    assert handoff.payload["approval_id"] == body["action"]["approval_id"]


def test_another_customers_order_is_refused_whatever_the_amount(
    client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    token = issue_grant(client, auth)["token"]
    for amount in ("1", "40", "60"):
        response = refund(client, token, OTHER_ORDER, amount)
        assert response.status_code == 403, response.text
        assert "only-for-your-own-customer" in response.json()["action"]["policies"]
    assert act(client, token, "order_status", order_id=OTHER_ORDER).status_code == 403
    assert effects(app_database) == 0


def test_nothing_works_after_the_grant_is_revoked(
    client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    issued = issue_grant(client, auth)
    revoked = client.post(f"/v1/grants/{issued['grant']['id']}/revoke", headers=auth)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    for action, arguments in [
        ("refund", {"order_id": OWN_ORDER, "amount": "40"}),
        ("order_status", {"order_id": OWN_ORDER}),
    ]:
        response = act(client, issued["token"], action, **arguments)
        assert response.status_code == 401
        assert "revoked" in response.json()["error"]["message"]
    assert effects(app_database) == 0


def test_nothing_works_after_the_grant_expires(
    client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    issued = issue_grant(client, auth)
    with app_database.write() as session:
        grant = session.get(Grant, issued["grant"]["id"])
        assert grant is not None
        grant.expires_at = utcnow() - timedelta(seconds=1)
    response = refund(client, issued["token"], OWN_ORDER, "40")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]
    assert effects(app_database) == 0


def test_a_rotated_token_replaces_the_old_one(
    client: TestClient, auth: dict[str, str], app_database: Database
) -> None:
    issued = issue_grant(client, auth)
    rotated = client.post(f"/v1/grants/{issued['grant']['id']}/rotate", headers=auth).json()
    assert refund(client, issued["token"], OWN_ORDER, "10").status_code == 401
    assert refund(client, rotated["token"], OWN_ORDER, "10").status_code == 200
    with app_database.read() as session:
        stored = session.get(Grant, issued["grant"]["id"])
        assert stored is not None
        assert rotated["token"] not in stored.token_hash
        assert len(stored.token_hash) == 64
