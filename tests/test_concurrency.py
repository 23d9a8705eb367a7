"""Concurrent deliveries over a real HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from factories import message
from sqlalchemy import func, select
from support.postgres import free_port

from relaydesk.app import create_app
from relaydesk.conversations.models import Customer, Event, EventKind
from relaydesk.db import Database
from relaydesk.permissions.api_keys import create_key
from relaydesk.settings import Settings


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, Database]]:
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{config.port}", app.state.database
    running.should_exit = True
    thread.join(timeout=10)


def auth_for(database: Database) -> dict[str, str]:
    with database.write() as session:
        _, plaintext = create_key(session, "concurrency")
    return {"Authorization": f"Bearer {plaintext}"}


def count(database: Database, query: object) -> int:
    with database.read() as session:
        return session.scalar(query) or 0  # type: ignore[call-overload, no-any-return]


def post_all(
    url: str, requests: list[tuple[dict[str, object], dict[str, str]]]
) -> list[httpx.Response]:
    with httpx.Client(base_url=url, timeout=30) as client, ThreadPoolExecutor(50) as pool:
        return list(pool.map(lambda r: client.post("/v1/messages", json=r[0], headers=r[1]),
                             requests))  # fmt: skip


def test_fifty_identical_requests_with_one_key_store_one_message(
    server: tuple[str, Database],
) -> None:
    url, database = server
    headers = {**auth_for(database), "Idempotency-Key": "same-for-all"}
    responses = post_all(url, [(message(), headers)] * 50)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 49 + [201]
    assert len({response.json()["message_id"] for response in responses}) == 1
    kinds = select(func.count()).where(Event.kind == EventKind.MESSAGE_IN)
    decisions = select(func.count()).where(Event.kind == EventKind.DECISION)
    assert (count(database, kinds), count(database, decisions)) == (1, 1)


def test_concurrent_first_messages_of_one_new_customer_all_land(
    server: tuple[str, Database],
) -> None:
    url, database = server
    headers = auth_for(database)
    bodies = [message(f"question {n}: how do I reset my password?",
                      customer={"email": "new@example.com"}) for n in range(20)]  # fmt: skip
    responses = post_all(url, [(body, headers) for body in bodies])
    assert [r.status_code for r in responses] == [201] * 20
    assert count(database, select(func.count()).where(Event.kind == EventKind.MESSAGE_IN)) == 20
    assert count(database, select(func.count()).select_from(Customer)) == 1
