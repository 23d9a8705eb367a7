"""Helpers for action tests: the demo shop in a database, and counting its side effects."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from relaydesk.actions.models import ActionRun, ShopEffect
from relaydesk.actions.runtime import build_runtime
from relaydesk.actions.service import ActionRuntime
from relaydesk.conversations.models import Customer
from relaydesk.db import Database
from relaydesk.demo.loader import load_demo
from relaydesk.queue.models import Agent
from relaydesk.settings import Settings

SECRET = "test-secret-that-is-long-enough-for-production-use"


def seed_shop(database: Database) -> dict[str, str]:
    """The demo customers and agents; returns external id (and agent email) → Relaydesk id."""
    load_demo(database)
    with database.read() as session:
        ids = {c.external_id or c.id: c.id for c in session.scalars(select(Customer))}
        ids |= {a.email: a.id for a in session.scalars(select(Agent))}
    return ids


def runtime_for(database: Database, **settings: Any) -> ActionRuntime:
    return build_runtime(
        Settings(database_url=database.url, secret_key=SECRET, **settings), database
    )


def effects(database: Database, **where: Any) -> int:
    """How many side effects the shop recorded (optionally of one kind, order, customer)."""
    query = select(func.count()).select_from(ShopEffect)
    for name, value in where.items():
        query = query.where(getattr(ShopEffect, name) == value)
    with database.read() as session:
        return int(session.scalar(query) or 0)


def runs(database: Database) -> list[ActionRun]:
    with database.read() as session:
        return list(session.scalars(select(ActionRun).order_by(ActionRun.id)))


def issue_grant(client: TestClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A delegated grant: shopper.example for cus_1001, refunds up to 50 unless overridden."""
    body = {
        "customer_id": "cus_1001",
        "agent_id": "shopper.example",
        "scopes": ["answer", "request_refund"],
        "refund_limit": "50",
        **fields,
    }
    response = client.post("/v1/grants", json=body, headers=auth)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued
