"""Done when: an approval replayed, altered or used after expiry is refused, and each approval
is in the story of its conversation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from support.actions import effects, runtime_for, seed_shop

from relaydesk.actions.service import ActionRequest, ActionRuntime, Forbidden
from relaydesk.conversations.models import Conversation, Event, EventKind
from relaydesk.db import Database, utcnow
from relaydesk.errors import RelaydeskError
from relaydesk.permissions.actors import Actor
from relaydesk.permissions.approvals import ApprovalExpired, ApprovalRefused
from relaydesk.permissions.models import Approval
from relaydesk.resolver.types import ActionTaken


@pytest.fixture
def ids(database: Database) -> dict[str, str]:
    return seed_shop(database)


@pytest.fixture
def runtime(database: Database) -> ActionRuntime:
    return runtime_for(database)


@pytest.fixture
def billing(ids: dict[str, str]) -> Actor:
    return Actor.human_agent(ids["noah@stride.example"], "specialist", "Noah Patel")


def conversation_of(database: Database, customer: str) -> str:
    with database.write() as session:
        conversation = Conversation(customer_id=customer, channel="web")
        session.add(conversation)
        session.flush()
        return conversation.id


def ask_refund(
    runtime: ActionRuntime, database: Database, ids: dict[str, str], amount: str = "60"
) -> ActionTaken:
    customer = ids["cus_1001"]
    request = ActionRequest(
        "refund",
        {"order_id": "SR-20417", "amount": amount},
        Actor.ai(customer),
        conversation_of(database, customer),
    )
    taken = runtime.run(request)
    assert taken.status == "awaiting_approval"
    assert taken.approval_id
    return taken


def binding(database: Database, approval_id: str) -> str:
    with database.read() as session:
        approval = session.get(Approval, approval_id)
        assert approval is not None
        return approval.binding


def test_an_approved_action_runs_once_as_the_approver(
    runtime: ActionRuntime, database: Database, ids: dict[str, str], billing: Actor
) -> None:
    asked = ask_refund(runtime, database, ids)
    assert asked.approval_id is not None
    assert effects(database) == 0
    bound = binding(database, asked.approval_id)
    ran = runtime.approve(asked.approval_id, billing, bound)
    assert ran.status == "ran"
    assert ran.policies == ("people-refund",)
    assert effects(database, kind="refund") == 1
    with pytest.raises(ApprovalRefused, match="already used"):
        runtime.approve(asked.approval_id, billing, bound)  # replayed
    assert effects(database) == 1


def test_an_altered_approval_is_refused(
    runtime: ActionRuntime, database: Database, ids: dict[str, str], billing: Actor
) -> None:
    asked = ask_refund(runtime, database, ids)
    assert asked.approval_id is not None
    bound = binding(database, asked.approval_id)
    with pytest.raises(ApprovalRefused, match="other arguments"):
        runtime.approve(
            asked.approval_id, billing, bound, {"order_id": "SR-20417", "amount": "150"}
        )
    with pytest.raises(ApprovalRefused, match="another action"):
        runtime.approve(asked.approval_id, billing, "0" * 64)
    with database.write() as session:  # the row itself changed behind Relaydesk's back
        approval = session.get(Approval, asked.approval_id)
        assert approval is not None
        approval.arguments = {**approval.arguments, "amount": "150.00"}
    with pytest.raises(ApprovalRefused, match="does not match its binding"):
        runtime.approve(asked.approval_id, billing, bound)
    assert effects(database) == 0


def test_an_expired_approval_is_refused(
    runtime: ActionRuntime, database: Database, ids: dict[str, str], billing: Actor
) -> None:
    asked = ask_refund(runtime, database, ids)
    assert asked.approval_id is not None
    with database.write() as session:
        approval = session.get(Approval, asked.approval_id)
        assert approval is not None
        approval.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ApprovalExpired):
        runtime.approve(asked.approval_id, billing, approval.binding)
    assert effects(database) == 0


def test_the_approver_needs_the_right_to_do_it_themselves(
    runtime: ActionRuntime, database: Database, ids: dict[str, str]
) -> None:
    asked = ask_refund(runtime, database, ids)
    assert asked.approval_id is not None
    qa = Actor.human_agent(ids["omar@stride.example"], "qa")
    with pytest.raises(Forbidden):
        runtime.approve(asked.approval_id, qa, binding(database, asked.approval_id))
    assert effects(database) == 0


def test_a_denied_approval_cannot_be_used_later(
    runtime: ActionRuntime, database: Database, ids: dict[str, str], billing: Actor
) -> None:
    asked = ask_refund(runtime, database, ids)
    assert asked.approval_id is not None
    bound = binding(database, asked.approval_id)
    runtime.deny(asked.approval_id, billing, bound)
    with pytest.raises(ApprovalRefused, match="already denied"):
        runtime.approve(asked.approval_id, billing, bound)


def test_the_approval_is_in_the_conversations_story(
    runtime: ActionRuntime, database: Database, ids: dict[str, str], billing: Actor
) -> None:
    asked = ask_refund(runtime, database, ids)
    assert asked.approval_id is not None
    runtime.approve(asked.approval_id, billing, binding(database, asked.approval_id))
    with database.read() as session:
        events = (
            session.query(Event)
            .filter(Event.kind.in_([EventKind.ACTION, EventKind.APPROVAL]))
            .order_by(Event.id)
            .all()
        )
    story = [(e.kind, e.source, e.payload.get("status")) for e in events]
    assert story == [
        ("action", "ai_agent", "awaiting_approval"),
        ("approval", "ai_agent", "pending"),
        ("action", "human_agent", "ran"),
        ("approval", "human_agent", "used"),
    ]
    assert events[-1].payload["executed_run_id"] == events[2].payload["run_id"]


def test_two_people_approving_at_once_run_it_once(
    runtime: ActionRuntime, database: Database, ids: dict[str, str], billing: Actor
) -> None:
    asked = ask_refund(runtime, database, ids)
    assert asked.approval_id is not None
    bound = binding(database, asked.approval_id)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def approve() -> None:
        barrier.wait()
        try:
            runtime.approve(str(asked.approval_id), billing, bound)
            outcomes.append("ran")
        except RelaydeskError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approval_refused"] * 3 + ["ran"]
    assert effects(database, kind="refund") == 1
