"""The workspace's pages: sign-in, the inbox, the agent's status and the flagged AI answers.

The conversation page and what people do on it are in ``relaydesk.workspace.conversation``.
Every page needs a signed-in agent (``SignedInDep``); every POST also needs the session's
CSRF token (``CheckedDep``). Fragments polled by htmx render the same templates as the pages.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy import func, select

from relaydesk.conversations.models import ConversationStatus
from relaydesk.db import Database
from relaydesk.deps import DatabaseDep, PartsDep, SettingsDep
from relaydesk.errors import Unprocessable
from relaydesk.pipeline import Parts
from relaydesk.queue import agents, claims
from relaydesk.queue.api import auto_assign
from relaydesk.queue.inbox import InboxRow, inbox
from relaydesk.queue.models import Agent, AgentStatus, Claim
from relaydesk.settings import Settings
from relaydesk.workspace import conversation
from relaydesk.workspace.auth import (
    CheckedDep,
    CsrfRejected,
    Forbidden,
    Permission,
    SignedInDep,
    SignInRequired,
    can,
    check_csrf,
    clear_session,
    new_session,
    read_session,
    require,
    signed_in,
    throttle_key,
    throttle_of,
    write_session,
)
from relaydesk.workspace.render import (
    LOGIN_PATH,
    WorkspaceRoute,
    base_context,
    is_htmx,
    redirect,
    render,
)
from relaydesk.workspace.repository import flags, teams_of_my_claims

router = APIRouter(prefix="/workspace", route_class=WorkspaceRoute, include_in_schema=False)
router.include_router(conversation.router)

FLAGS_PAGE = 50


# --- signing in ---------------------------------------------------------------------------


def _safe_next(target: str) -> str:
    """Only a workspace path: never another site after sign-in."""
    if target.startswith("/workspace") and "//" not in target and "\\" not in target:
        return target
    return "/workspace"


@router.get("/login")
def login_page(
    request: Request, database: DatabaseDep, settings: SettingsDep, next: str = ""
) -> Response:
    with suppress(SignInRequired):
        signed_in(request, database, settings)
        return redirect(request, _safe_next(next))
    return _login_form(request, settings, next=next)


def _login_form(
    request: Request,
    settings: Settings,
    *,
    next: str = "",
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    session = read_session(request, settings)
    if session is None or session.agent_id is not None:
        session = new_session()
    context = {"csrf": session.csrf, "next": next, "email": email, "error": error}
    response = render(request, "login.html", context, status_code)
    write_session(response, session, settings)
    return response


@router.post("/login")
def login(
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {"next": next, "email": email}
    try:
        check_csrf(read_session(request, settings), csrf_token)
    except CsrfRejected:
        error = "This sign-in form had expired. Please sign in again."
        return _login_form(request, settings, **form, error=error, status_code=403)
    throttle, key = throttle_of(request), throttle_key(request, email)
    wait = throttle.retry_after(key)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        error = (
            f"Too many failed sign-ins for {email} from your address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        return _login_form(request, settings, **form, error=error, status_code=429)
    with database.read() as session:
        agent = agents.authenticate(session, email, password)
    if agent is None:
        throttle.failed(key)
        error = "That email and password do not match an agent who can sign in."
        return _login_form(request, settings, **form, error=error, status_code=401)
    throttle.succeeded(key)
    response = redirect(request, _safe_next(next))
    write_session(response, new_session(agent), settings)
    return response


@router.post("/logout")
def logout(request: Request, _: CheckedDep, settings: SettingsDep) -> Response:
    response = redirect(request, LOGIN_PATH)
    clear_session(response, settings)
    return response


# --- the inbox ----------------------------------------------------------------------------


Tabs = list[tuple[str, str]]


def inbox_tabs(agent: Agent, parts: Parts, team: str | None) -> tuple[str, list[str] | None, Tabs]:
    """(the selected tab, its teams (None: every team), every tab as (value, label))."""

    def label(name: str) -> str:
        return parts.teams.get(name).title

    if can(agent, Permission.SEE_ALL_TEAMS):
        names = list(dict.fromkeys([*parts.routed_teams(), *agent.teams]))
        tabs = [("all", "All teams"), *((name, label(name)) for name in names)]
        if not team or team == "all":
            return "all", None, tabs
        return team, [team], tabs
    tabs = [("mine", "My teams"), *((name, label(name)) for name in agent.teams)]
    if not team or team == "mine":
        return "mine", list(agent.teams), tabs
    if team not in agent.teams:
        raise Forbidden(f"you are not in the team {team}; ask an admin to add you")
    return team, [team], tabs


def inbox_rows(
    database: Database, parts: Parts, agent: Agent, teams: list[str] | None
) -> dict[str, list[InboxRow]]:
    """Waiting (claim order), mine (in any team) and with others, for the tab's teams."""
    with database.read() as session:
        wanted = None if teams is None else sorted({*teams, *teams_of_my_claims(session, agent.id)})
        rows = inbox(session, parts.teams, wanted)
    in_tab = [row for row in rows if teams is None or row.team in teams]
    return {
        "waiting": [row for row in in_tab if row.status == ConversationStatus.WAITING_FOR_HUMAN],
        "mine": [row for row in rows if row.owner_id == agent.id],
        "others": [row for row in in_tab if row.owner_id and row.owner_id != agent.id],
    }


@router.get("")
def inbox_page(
    request: Request,
    signed: SignedInDep,
    database: DatabaseDep,
    parts: PartsDep,
    team: str | None = None,
) -> Response:
    tab, teams, tabs = inbox_tabs(signed.agent, parts, team)
    context = base_context(signed, parts, "inbox") | {"tab": tab, "tabs": tabs}
    context |= inbox_rows(database, parts, signed.agent, teams)
    return render(request, "inbox.html", context)


@router.get("/inbox/rows")
def inbox_rows_fragment(
    request: Request,
    signed: SignedInDep,
    database: DatabaseDep,
    parts: PartsDep,
    team: str | None = None,
) -> Response:
    _, teams, _ = inbox_tabs(signed.agent, parts, team)
    context = base_context(signed, parts) | inbox_rows(database, parts, signed.agent, teams)
    return render(request, "_inbox_rows.html", context)


@router.post("/claim-next")
def claim_next(
    request: Request,
    signed: CheckedDep,
    database: DatabaseDep,
    parts: PartsDep,
    team: Annotated[str | None, Form()] = None,
) -> Response:
    _, teams, _ = inbox_tabs(signed.agent, parts, team)
    claim = claims.claim_next(database, signed.agent.id, teams)
    if claim is None:
        raise Unprocessable(_nothing_to_claim(database, signed.agent))
    return redirect(request, f"/workspace/conversations/{claim.conversation_id}")


def _nothing_to_claim(database: Database, agent: Agent) -> str:
    with database.read() as session:
        active = session.scalar(
            select(func.count()).where(Claim.agent_id == agent.id, Claim.released_at.is_(None))
        )
    if (active or 0) >= agent.capacity:
        return (
            f"You already have {active} conversations, your capacity: "
            "resolve, release or transfer one first."
        )
    if not agent.teams:
        return "You are not in any team, so there is nothing for you to claim."
    return "Nothing is waiting in your teams right now."


@router.post("/status")
def set_status(
    request: Request,
    signed: CheckedDep,
    database: DatabaseDep,
    parts: PartsDep,
    status: Annotated[AgentStatus, Form()],
) -> Response:
    agent = agents.set_status(database, signed.agent.id, status)
    if status == AgentStatus.AVAILABLE:
        auto_assign(database, parts)
    if not is_htmx(request):
        return redirect(request, "/workspace")
    context = base_context(signed, parts) | {"agent": agent}
    return render(request, "_status.html", context)


# --- flagged AI answers -------------------------------------------------------------------


@router.get("/flags")
def flags_page(
    request: Request,
    signed: SignedInDep,
    database: DatabaseDep,
    parts: PartsDep,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    require(signed.agent, Permission.REVIEW_FLAGS)
    with database.read() as session:
        found = flags(session, before, FLAGS_PAGE + 1)
    context = base_context(signed, parts, "flags")
    context |= {"flags": found[:FLAGS_PAGE], "more": len(found) > FLAGS_PAGE}
    return render(request, "flags.html", context)
