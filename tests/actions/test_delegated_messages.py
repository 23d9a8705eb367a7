"""A delegated agent's messages go through the message path, as that agent: stored with its
actor chain, read by the policy as ``actor.*``, and whatever the AI proposes for them is
authorized against the grant. Done when, through messages: a $40 refund on its customer's
order runs, $60 goes to a person with the reason, another customer's order is refused, and
nothing works once the grant is revoked or expired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support.actions import effects, issue_grant, runs, seed_shop

from relaydesk.actions.testing import ObedientModel
from relaydesk.app import create_app
from relaydesk.conversations.models import Conversation, Event, EventKind
from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, ingest, process
from relaydesk.db import Database, utcnow
from relaydesk.permissions import grants
from relaydesk.permissions.api_keys import create_key
from relaydesk.permissions.models import Grant
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.records import read_body
from relaydesk.policy.story import decision_story
from relaydesk.settings import Settings

OWN_ORDER = "SR-20417"  # cus_1001's, delivered, 153.00
OTHER_ORDER = "SR-20462"  # cus_1002's


@pytest.fixture
def ids(client: TestClient) -> dict[str, str]:
    return seed_shop(app_database(client))


@pytest.fixture(autouse=True)
def obedient() -> Iterator[None]:
    """The AI proposes whatever the message asks for: only authorization stands in the way."""
    with mock.patch("relaydesk.pipeline.attempt_answer", ObedientModel()):
        yield


def app_database(client: TestClient) -> Database:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    return database


def say(client: TestClient, token: str, text: str, **fields: Any) -> Any:
    return client.post(
        "/v1/delegated/messages",
        json={"text": text, **fields},
        headers={"Authorization": f"Bearer {token}"},
    )


def facts_of(database: Database, message_id: int) -> dict[str, Any]:
    with database.read() as session:
        record = session.scalar(
            select(DecisionRecord).where(DecisionRecord.message_id == message_id)
        )
        assert record is not None
        facts: dict[str, Any] = read_body(record)["facts"]
        return facts


def stored_events(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def test_the_message_is_stored_as_the_agent_acting_for_its_customer(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    issued = issue_grant(client, auth)
    response = say(client, issued["token"], "Where is my parcel? Check order SR-20417.")
    assert response.status_code == 201, response.text
    result = response.json()
    database = app_database(client)
    with database.read() as session:
        message = session.get(Event, result["message_id"])
        conversation = session.get(Conversation, result["conversation_id"])
        assert message is not None
        assert conversation is not None
        assert (message.kind, message.source) == ("message_in", "delegated_agent")
        assert message.actor == f"shopper.example for customer {ids['cus_1001']}"
        assert message.payload["chain"] == {
            "sub": ids["cus_1001"],
            "act": {
                "sub": "shopper.example",
                "kind": "delegated_agent",
                "grant": issued["grant"]["id"],
            },
        }
        assert (conversation.customer_id, conversation.channel) == (
            ids["cus_1001"],
            "delegated_agent",
        )
    assert facts_of(database, result["message_id"])["actor"] == {
        "kind": "delegated_agent",
        "on_behalf_of": ids["cus_1001"],
        "scopes": ["answer", "request_refund"],
    }
    [run] = runs(database)
    assert (run.action, run.status, run.actor_kind) == ("order_status", "ran", "delegated_agent")
    assert (run.grant_id, run.message_id) == (issued["grant"]["id"], result["message_id"])


def test_a_customers_own_message_keeps_the_customer_as_actor(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    body = {"channel": "web", "text": "Check order SR-20417.", "customer": {"id": "cus_1001"}}
    result = client.post("/v1/messages", json=body, headers=auth).json()
    actor = facts_of(app_database(client), result["message_id"])["actor"]
    assert actor == {"kind": "customer", "on_behalf_of": None, "scopes": []}
    assert [run.actor_kind for run in runs(app_database(client))] == ["ai"]


def test_a_refund_within_the_grant_runs_through_a_message(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    token = issue_grant(client, auth)["token"]
    response = say(client, token, f"Please refund $40 on order {OWN_ORDER}.")
    assert response.status_code == 201, response.text
    [run] = runs(app_database(client))
    # $40 is over the AI's own cap (25.00): it ran because the grant allows it, not the AI.
    assert (run.action, run.status, run.amount_cents) == ("refund", "ran", 4000)
    assert run.policies == ["delegated-request-refund"]
    assert run.actor_chain["act"]["sub"] == "shopper.example"
    assert effects(app_database(client), kind="refund", order_id=OWN_ORDER) == 1


def test_a_refund_over_the_grant_goes_to_billing_with_the_reason(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    token = issue_grant(client, auth)["token"]
    result = say(client, token, f"Please refund $60 on order {OWN_ORDER}.").json()
    decision = result["decision"]
    assert (decision["route"], decision["team"]) == ("require_approval", "billing")
    assert decision["matched_rules"][0]["id"] == "action-awaits-approval"
    assert "refund" in decision["reasons"][0]
    assert result["handoff"]["team"] == "billing"
    assert (
        "needs a person's approval first: refund (order SR-20417, 60.00)"
        in (result["handoff"]["text"])
    )
    database = app_database(client)
    assert effects(database) == 0
    [run] = runs(database)
    assert (run.status, run.policies) == ("awaiting_approval", ["delegated-refund-over-grant"])
    assert run.reasons == ["the refund is over the limit of the agent's grant"]
    with database.read() as session:
        conversation = session.get(Conversation, result["conversation_id"])
        assert conversation is not None
        assert (conversation.status, conversation.team) == ("waiting_for_human", "billing")
        handoff = session.scalars(select(Event).where(Event.kind == EventKind.HANDOFF)).one()
    [packed] = handoff.payload["packet"]["actions"]
    assert packed["reasons"] == ["the refund is over the limit of the agent's grant"]


def test_another_customers_order_is_refused_through_a_message(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    token = issue_grant(client, auth)["token"]
    say(client, token, f"Refund $5 on order {OTHER_ORDER} and check order {OTHER_ORDER}.")
    statuses = [(run.action, run.status, run.policies) for run in runs(app_database(client))]
    assert statuses == [
        ("refund", "denied", ["only-for-your-own-customer"]),
        ("order_status", "denied", ["only-for-your-own-customer"]),
    ]
    assert effects(app_database(client)) == 0


@pytest.mark.parametrize("end", ["revoke", "expire"])
def test_nothing_is_stored_or_run_once_the_grant_ends(
    client: TestClient, auth: dict[str, str], ids: dict[str, str], end: str
) -> None:
    issued = issue_grant(client, auth)
    database = app_database(client)
    if end == "revoke":
        assert client.post(f"/v1/grants/{issued['grant']['id']}/revoke", headers=auth).is_success
    else:
        with database.write() as session:
            grant = session.get(Grant, issued["grant"]["id"])
            assert grant is not None
            grant.expires_at = utcnow() - timedelta(seconds=1)
    before = stored_events(database)
    response = say(client, issued["token"], f"Please refund $40 on order {OWN_ORDER}.")
    assert response.status_code == 401
    assert ("revoked" if end == "revoke" else "expired") in response.json()["error"]["message"]
    assert stored_events(database) == before
    assert (effects(database), runs(database)) == (0, [])


def test_a_grant_revoked_before_the_message_is_decided_runs_nothing(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    """A message stored, then its grant revoked, then decided (a resume after a crash)."""
    issued = issue_grant(client, auth)
    database = app_database(client)
    with database.read() as session:
        grant = session.get(Grant, issued["grant"]["id"])
        assert grant is not None
        actor = grants.actor_for(grant)
    text = f"Please refund $40 on order {OWN_ORDER}."
    message = MessageCreate(channel="delegated_agent", text=text)
    stored = ingest(database, Inbound(message, actor=actor))
    client.post(f"/v1/grants/{issued['grant']['id']}/revoke", headers=auth)
    process(database, client.app.state.parts, stored.message_id)  # type: ignore[attr-defined]
    [run] = runs(database)
    assert (run.status, run.policies) == ("denied", ["grant-not-live"])
    assert "revoked" in run.reasons[0]
    assert effects(database) == 0


def test_malformed_messages_and_other_conversations_store_nothing(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    token = issue_grant(client, auth)["token"]
    other = client.post(
        "/v1/messages",
        json={"channel": "web", "text": "hello", "customer": {"id": "cus_1002"}},
        headers=auth,
    ).json()["conversation_id"]
    database = app_database(client)
    before = stored_events(database)
    for response, status in [
        (say(client, "rdg_forged.token", "hi"), 401),
        (say(client, token[:-3] + "abc", "hi"), 401),
        (client.post("/v1/delegated/messages", json={"text": "hi"}), 401),
        (client.post("/v1/delegated/messages", json={"text": "hi"}, headers=auth), 401),
        (say(client, token, "   "), 422),
        (say(client, token, "hi", customer={"id": "cus_1002"}), 422),
        (say(client, token, "hi", conversation_id=other), 404),
    ]:
        assert response.status_code == status, response.text
        assert response.json()["error"]["message"]
    assert stored_events(database) == before


def test_the_agent_writes_on_in_its_customers_conversation(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    token = issue_grant(client, auth)["token"]
    first = say(client, token, "Check order SR-20417.").json()
    again = say(client, token, "Thanks!", conversation_id=first["conversation_id"])
    assert again.status_code == 201, again.text
    assert again.json()["conversation_id"] == first["conversation_id"]


def test_an_idempotency_key_is_scoped_to_the_grant(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    one, two = issue_grant(client, auth)["token"], issue_grant(client, auth)["token"]
    key = {"Idempotency-Key": "retry-1"}

    def send(token: str) -> Any:
        headers = {"Authorization": f"Bearer {token}", **key}
        return client.post("/v1/delegated/messages", json={"text": "Hello"}, headers=headers)

    first, retry, other = send(one), send(one), send(two)
    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["message_id"] == first.json()["message_id"]
    assert other.json()["message_id"] != first.json()["message_id"]


def test_delegated_traffic_is_labelled_in_the_metrics(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    token = issue_grant(client, auth)["token"]
    say(client, token, f"Please refund $40 on order {OWN_ORDER}.")
    body = {
        "channel": "web",
        "text": "Refund $20 on order SR-20417.",
        "customer": {"id": "cus_1001"},
    }
    client.post("/v1/messages", json=body, headers=auth)
    metrics = client.get("/metrics").text
    assert 'relaydesk_messages_total{channel="delegated_agent",route=' in metrics
    for actor_kind in ("delegated_agent", "ai"):
        line = (
            f'relaydesk_actions_total{{action="refund",actor_kind="{actor_kind}",status="ran"}} 1.0'
        )
        assert line in metrics, actor_kind


def test_delegated_messages_have_their_own_rate_limit(settings: Settings) -> None:
    limited = settings.model_copy(update={"delegated_burst": 2, "delegated_rate_per_minute": 1})
    with TestClient(create_app(limited)) as client:
        database = app_database(client)
        seed_shop(database)
        with database.write() as session:
            _, key = create_key(session, "limits")
        token = issue_grant(client, {"Authorization": f"Bearer {key}"})["token"]
        statuses = [say(client, token, "Check order SR-20417.").status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        with database.read() as session:
            messages = session.scalar(
                select(func.count()).where(Event.kind == EventKind.MESSAGE_IN)
            )
        assert messages == 2


def test_the_decision_story_tells_the_action_and_its_approval(
    client: TestClient, auth: dict[str, str], ids: dict[str, str]
) -> None:
    token = issue_grant(client, auth)["token"]
    result = say(client, token, f"Please refund $60 on order {OWN_ORDER}.").json()
    [pending] = client.get("/v1/approvals", headers=auth).json()
    approved = client.post(
        f"/v1/approvals/{pending['id']}/approve",
        json={"agent_id": ids["noah@stride.example"], "binding": pending["binding"]},
        headers=auth,
    )
    assert approved.status_code == 200, approved.text
    with app_database(client).read() as session:
        story = decision_story(session, result["message_id"])
    assert "Action (shopper.example for" in story
    assert "refund" in story
    assert "Approval (Noah Patel" in story
    assert "approved" in story
