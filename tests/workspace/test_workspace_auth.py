"""Signing in to the workspace: sessions, CSRF, throttling and roles (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from workspace_support import PASSWORD, AgentFactory, BrowserFactory, login_csrf

from relaydesk.app import create_app
from relaydesk.db import Database
from relaydesk.queue.agents import set_password
from relaydesk.queue.models import AgentRole
from relaydesk.settings import Settings
from relaydesk.workspace.auth import COOKIE, SIGN_IN_LIMIT


def sign_in(client: TestClient, email: str, password: str, **extra: str) -> object:
    data = {"email": email, "password": password, "csrf_token": login_csrf(client), **extra}
    return client.post("/workspace/login", data=data, follow_redirects=False)


def test_the_login_form_has_its_hooks(client: TestClient) -> None:
    page = client.get("/workspace/login")
    assert page.status_code == 200
    for hook in ('id="login-email"', 'id="login-password"', 'id="login-submit"'):
        assert hook in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_good_password_signs_in_with_a_safe_cookie(
    client: TestClient, make_agent: AgentFactory
) -> None:
    agent = make_agent("Maya")
    response = sign_in(client, agent.email, PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/workspace"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Path=/workspace" in cookie
    assert "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # development
    inbox = client.get("/workspace")
    assert inbox.status_code == 200
    assert "Maya" in inbox.text


def test_a_wrong_password_is_refused(client: TestClient, make_agent: AgentFactory) -> None:
    agent = make_agent()
    response = sign_in(client, agent.email, "not the password")
    assert response.status_code == 401
    assert "do not match" in response.text
    assert agent.email in response.text  # the form keeps the email
    assert client.get("/workspace", follow_redirects=False).status_code == 303


def test_failed_sign_ins_are_rate_limited_per_email_and_address(
    client: TestClient, make_agent: AgentFactory
) -> None:
    agent, other = make_agent("Maya"), make_agent("Omar")
    for _ in range(SIGN_IN_LIMIT):
        assert sign_in(client, agent.email, "wrong password").status_code == 401
    blocked = sign_in(client, agent.email, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert "Try again in 15 minutes" in blocked.text
    assert sign_in(client, other.email, PASSWORD).status_code == 303


def test_the_sign_in_form_needs_its_csrf_token(
    client: TestClient, make_agent: AgentFactory
) -> None:
    agent = make_agent()
    data = {"email": agent.email, "password": PASSWORD}
    response = client.post("/workspace/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "expired" in response.text


def test_pages_need_a_session(client: TestClient) -> None:
    page = client.get("/workspace/conversations/abc", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/workspace/login?next=%2Fworkspace%2Fconversations%2Fabc"
    fragment = client.get("/workspace/inbox/rows", headers={"HX-Request": "true"})
    assert fragment.status_code == 401
    assert fragment.headers["HX-Redirect"] == "/workspace/login"
    post = client.post("/workspace/status", data={"status": "away"}, follow_redirects=False)
    assert post.status_code == 303


def test_a_forged_cookie_is_no_session(client: TestClient, browser: BrowserFactory) -> None:
    maya = browser("Maya")
    value = maya.client.cookies[COOKIE]
    maya.client.cookies.clear()
    maya.client.cookies.set(COOKIE, value[:-2] + "xx", path="/workspace")
    assert maya.client.get("/workspace", follow_redirects=False).status_code == 303


def test_after_sign_in_it_goes_back_but_never_off_site(
    client: TestClient, make_agent: AgentFactory
) -> None:
    agent = make_agent()
    there = sign_in(client, agent.email, PASSWORD, next="/workspace/flags")
    assert there.headers["location"] == "/workspace/flags"
    client.cookies.clear()
    away = sign_in(client, agent.email, PASSWORD, next="https://evil.example/")
    assert away.headers["location"] == "/workspace"


def test_posts_need_the_csrf_token(browser: BrowserFactory) -> None:
    maya = browser("Maya")
    missing = maya.client.post("/workspace/status", data={"status": "away"})
    assert missing.status_code == 403
    assert "expired or did not come from the workspace" in missing.text
    wrong = maya.client.post("/workspace/status", data={"status": "away", "csrf_token": "nope"})
    assert wrong.status_code == 403
    assert "Available" in maya.client.get("/workspace").text  # nothing changed
    by_header = maya.client.post(
        "/workspace/status",
        data={"status": "away"},
        headers={"X-CSRF-Token": maya.csrf, "HX-Request": "true"},
    )
    assert by_header.status_code == 200
    assert 'id="agent-status-label">Away<' in by_header.text


def test_sign_out_ends_the_session(browser: BrowserFactory) -> None:
    maya = browser("Maya")
    response = maya.post("/workspace/logout", htmx=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/workspace/login"
    assert maya.client.get("/workspace", follow_redirects=False).status_code == 303


def test_a_new_password_ends_old_sessions(browser: BrowserFactory, app_database: Database) -> None:
    maya = browser("Maya")
    set_password(app_database, maya.agent.id, "another long password")
    assert maya.client.get("/workspace", follow_redirects=False).status_code == 303


def test_flags_are_for_qa_knowledge_ops_and_admins(browser: BrowserFactory) -> None:
    assert browser("Maya").client.get("/workspace/flags").status_code == 403
    for role in (AgentRole.QA, AgentRole.KNOWLEDGE_OPS, AgentRole.ADMIN):
        reviewer = browser(f"Rev{role}", role=role)
        page = reviewer.client.get("/workspace/flags")
        assert page.status_code == 200, role
        assert "Flagged AI answers" in page.text


def test_teams_tabs_follow_the_role(browser: BrowserFactory) -> None:
    maya = browser("Maya", teams=("frontline",))
    refused = maya.client.get("/workspace?team=billing")
    assert refused.status_code == 403
    assert "not in the team billing" in refused.text
    admin = browser("Ada", role=AgentRole.ADMIN, teams=())
    page = admin.client.get("/workspace")
    assert "All teams" in page.text
    assert admin.client.get("/workspace?team=billing").status_code == 200


@pytest.fixture
def production_client(settings: Settings) -> Iterator[TestClient]:
    production = settings.model_copy(update={"environment": "production", "secret_key": "s" * 40})
    with TestClient(create_app(production), base_url="https://testserver") as client:
        yield client


def test_the_cookie_is_secure_in_production(
    production_client: TestClient, make_agent: AgentFactory
) -> None:
    agent = make_agent()
    response = sign_in(production_client, agent.email, PASSWORD)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]
    assert production_client.get("/workspace").status_code == 200  # sent back over HTTPS
