"""Helpers for the workspace tests: a signed-in browser and the CSRF token on a page."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from relaydesk.queue.models import Agent

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A TestClient with its own cookies, signed in as one agent, that sends the CSRF token."""

    def __init__(self, client: TestClient, agent: Agent) -> None:
        self.client, self.agent = client, agent
        self.csrf = ""

    def sign_in(self, password: str = PASSWORD) -> None:
        response = self.client.post(
            "/workspace/login",
            data={
                "email": self.agent.email,
                "password": password,
                "csrf_token": login_csrf(self.client),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        self.csrf = csrf_of(self.client.get("/workspace").text)

    def post(self, path: str, htmx: bool = True, **data: object) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(
            path, data={"csrf_token": self.csrf, **data}, headers=headers, follow_redirects=False
        )


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login_csrf(client: TestClient) -> str:
    return csrf_of(client.get("/workspace/login").text)


AgentFactory = Callable[..., Agent]
BrowserFactory = Callable[..., Browser]
