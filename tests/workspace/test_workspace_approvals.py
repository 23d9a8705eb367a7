"""Approvals on the conversation page: shown with what they would do, approved or denied by a
signed-in person (the action runs as them, with their own permissions), and in the story."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support.actions import effects, seed_shop
from workspace_support import BrowserFactory

from relaydesk.conversations.models import Event, EventKind
from relaydesk.db import Database
from relaydesk.permissions.models import Approval
from relaydesk.queue.models import AgentRole

BINDING = re.compile(r'name="binding" value="([0-9a-f]{64})"')


@pytest.fixture
def waiting(client: TestClient, auth: dict[str, str], app_database: Database) -> dict[str, Any]:
    """A delegated agent's $60 refund over its $50 grant: waiting for billing's approval."""
    seed_shop(app_database)
    grant = {
        "customer_id": "cus_1001",
        "agent_id": "shopper.example",
        "scopes": ["request_refund"],
        "refund_limit": "50",
    }
    token = client.post("/v1/grants", json=grant, headers=auth).json()["token"]
    body = {"action": "refund", "arguments": {"order_id": "SR-20417", "amount": "60"}}
    response = client.post(
        "/v1/delegated/actions", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202, response.text
    asked: dict[str, Any] = response.json()
    return asked | {"token": token}


def url(asked: dict[str, Any], decision: str = "") -> str:
    page = f"/workspace/conversations/{asked['conversation_id']}"
    return page + (f"/approvals/{asked['action']['approval_id']}/{decision}" if decision else "")


def binding_on(page: str) -> str:
    found = BINDING.search(page)
    assert found, "no approval on the page"
    return found.group(1)


def approval_status(database: Database, approval_id: str) -> str:
    with database.read() as session:
        approval = session.get(Approval, approval_id)
        assert approval is not None
        return approval.status


def test_the_page_shows_what_waits_for_approval(
    browser: BrowserFactory, waiting: dict[str, Any]
) -> None:
    page = browser("Noah", teams=("billing",), role=AgentRole.SPECIALIST).client.get(url(waiting))
    assert page.status_code == 200
    html = page.text
    approval_id = waiting["action"]["approval_id"]
    for shown in (
        'id="approvals"',
        "Refund",
        "order_id=SR-20417, amount=60.00",
        "Order SR-20417",
        "shopper.example (AI agent) for the customer",
        "the refund is over the limit of the agent&#39;s grant",
        f'id="approve-{approval_id}"',
        f'id="deny-{approval_id}"',
        "<time datetime=",
    ):
        assert shown in html, shown


def test_approving_runs_it_as_the_person_and_tells_the_story(
    browser: BrowserFactory, waiting: dict[str, Any], app_database: Database
) -> None:
    noah = browser("Noah", teams=("billing",), role=AgentRole.SPECIALIST)
    bound = binding_on(noah.client.get(url(waiting)).text)
    response = noah.post(url(waiting, "approve"), binding=bound)
    assert response.status_code == 200, response.text
    assert "Approved: refund ran as you." in response.text
    assert 'id="approvals"' in response.text  # the section, now empty, swapped in place
    assert effects(app_database, kind="refund", order_id="SR-20417") == 1
    assert approval_status(app_database, waiting["action"]["approval_id"]) == "used"
    with app_database.read() as session:
        story = session.scalars(
            select(Event)
            .where(Event.kind.in_([EventKind.ACTION, EventKind.APPROVAL]))
            .order_by(Event.id)
        ).all()
    assert [(e.kind, e.source) for e in story][-2:] == [
        ("action", "human_agent"),
        ("approval", "human_agent"),
    ]
    assert story[-1].actor == "Noah (specialist)"
    page = noah.client.get(url(waiting)).text
    assert "approval approved: refund" in page  # the transcript's line for it
    assert f'id="approve-{waiting["action"]["approval_id"]}"' not in page
    assert noah.post(url(waiting, "approve"), binding=bound).status_code == 409  # replayed


def test_the_other_approvals_stay_on_the_page_after_one_is_decided(
    client: TestClient, browser: BrowserFactory, waiting: dict[str, Any]
) -> None:
    body = {
        "action": "refund",
        "arguments": {"order_id": "SR-20417", "amount": "70"},
        "conversation_id": waiting["conversation_id"],
    }
    headers = {"Authorization": f"Bearer {waiting['token']}"}
    second = client.post("/v1/delegated/actions", json=body, headers=headers).json()
    noah = browser("Noah", teams=("billing",), role=AgentRole.SPECIALIST)
    bound = binding_on(noah.client.get(url(waiting)).text)
    response = noah.post(url(waiting, "deny"), binding=bound)
    assert response.status_code == 200, response.text
    assert f'action="{url(second, "approve")}"' in response.text
    assert waiting["action"]["approval_id"] not in response.text


def test_denying_runs_nothing(
    browser: BrowserFactory, waiting: dict[str, Any], app_database: Database
) -> None:
    maya = browser("Maya", teams=("billing",))
    bound = binding_on(maya.client.get(url(waiting)).text)
    response = maya.post(url(waiting, "deny"), binding=bound)
    assert response.status_code == 200, response.text
    assert "Denied" in response.text
    assert approval_status(app_database, waiting["action"]["approval_id"]) == "denied"
    assert effects(app_database) == 0
    assert "approval denied: refund" in maya.client.get(url(waiting)).text


def test_a_person_without_the_right_cannot_approve(
    browser: BrowserFactory, waiting: dict[str, Any], app_database: Database
) -> None:
    quinn = browser("Quinn", teams=("billing",), role=AgentRole.QA)
    bound = binding_on(quinn.client.get(url(waiting)).text)
    response = quinn.post(url(waiting, "approve"), binding=bound)
    assert response.status_code == 403
    assert "may not run refund" in response.text
    assert approval_status(app_database, waiting["action"]["approval_id"]) == "pending"
    assert effects(app_database) == 0


def test_altered_forged_or_misplaced_decisions_are_refused(
    browser: BrowserFactory,
    waiting: dict[str, Any],
    app_database: Database,
    handed_over: Any,
) -> None:
    noah = browser("Noah", teams=("billing",), role=AgentRole.SPECIALIST)
    bound = binding_on(noah.client.get(url(waiting)).text)
    assert noah.post(url(waiting, "approve"), binding="0" * 64).status_code == 409
    no_csrf = noah.client.post(url(waiting, "approve"), data={"binding": bound})
    assert no_csrf.status_code == 403
    elsewhere = {**waiting, "conversation_id": handed_over()}
    assert noah.post(url(elsewhere, "approve"), binding=bound).status_code == 404
    assert noah.post(url(waiting, "approve"), binding="short").status_code == 422
    assert approval_status(app_database, waiting["action"]["approval_id"]) == "pending"
    assert effects(app_database) == 0
