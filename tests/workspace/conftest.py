"""Fixtures for the workspace: agents who can sign in, signed-in browsers, handed-over chats."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from factories import message
from fastapi.testclient import TestClient
from workspace_support import PASSWORD, AgentFactory, Browser, BrowserFactory

from relaydesk.db import Database
from relaydesk.queue.agents import AgentIn, create_agent
from relaydesk.queue.models import Agent, AgentRole

_numbers = itertools.count()


@pytest.fixture
def app_database(client: TestClient) -> Database:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    return database


@pytest.fixture
def make_agent(app_database: Database) -> AgentFactory:
    def make(
        name: str = "Maya",
        teams: tuple[str, ...] = ("frontline",),
        role: AgentRole = AgentRole.AGENT,
        capacity: int = 3,
    ) -> Agent:
        email = f"{name.lower()}-{next(_numbers)}@example.com"
        given = AgentIn(
            name=name, email=email, role=role, teams=list(teams), capacity=capacity,
            password=PASSWORD,
        )  # fmt: skip
        return create_agent(app_database, given)

    return make


@pytest.fixture
def browser(client: TestClient, make_agent: AgentFactory) -> BrowserFactory:
    """A signed-in browser for a new agent; each has its own cookie jar on the same app."""

    def open_browser(name: str = "Maya", **fields: object) -> Browser:
        opened = Browser(TestClient(client.app), make_agent(name, **fields))
        opened.sign_in()
        return opened

    return open_browser


@pytest.fixture
def handed_over(client: TestClient, auth: dict[str, str]) -> Callable[..., str]:
    """A new conversation handed over to frontline; returns its id."""

    def hand_over(text: str = "let me talk to a real person", name: str = "Dana Reyes") -> str:
        body = message(text, customer={"name": name, "email": f"c{next(_numbers)}@example.com"})
        response = client.post("/v1/messages", json=body, headers=auth)
        assert response.status_code == 201, response.text
        result = response.json()
        assert result["handoff"]["team"] == "frontline"
        conversation_id: str = result["conversation_id"]
        return conversation_id

    return hand_over
