"""Who is signed in to the workspace, what their role lets them do, and the guards on writes.

The session is one cookie, signed with ``settings.secret_key`` (itsdangerous, salt
``relaydesk-workspace``) and valid for 12 hours from when it was issued. It holds:

    agent  the signed-in agent's id, or None before sign-in
    csrf   a random token that every POST must echo (form field ``csrf_token`` or header
           ``X-CSRF-Token``); the sign-in form has one too, so nobody can sign a browser in
           to their own account from another site
    key    a fingerprint of the agent's password hash at sign-in: changing the password
           ends every session signed in with the old one

Signing in issues a new session (a new CSRF token), so a token seen before sign-in is worthless
after it. Failed sign-ins are counted per email and client address in this process
(``SignInThrottle``); with several workers each counts its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Form, Header, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from relaydesk.deps import DatabaseDep, SettingsDep
from relaydesk.errors import RelaydeskError, Unauthorized
from relaydesk.queue.models import Agent, AgentRole
from relaydesk.settings import Settings

COOKIE = "relaydesk_workspace"
COOKIE_PATH = "/workspace"
SALT = "relaydesk-workspace"
SESSION_SECONDS = 12 * 60 * 60
SIGN_IN_LIMIT = 10  # failed sign-ins per email and address ...
SIGN_IN_WINDOW = 15 * 60  # ... in this many seconds


class SignInRequired(Unauthorized):
    """Nobody (or nobody valid) is signed in: pages redirect, htmx requests get HX-Redirect."""


class Forbidden(RelaydeskError):
    status_code = 403
    code = "forbidden"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"


class TooManySignIns(RelaydeskError):
    status_code = 429
    code = "too_many_sign_ins"


# --- roles --------------------------------------------------------------------------------


class Permission(StrEnum):
    SEE_ALL_TEAMS = "see all teams"
    REASSIGN = "reassign conversations"
    REVIEW_FLAGS = "review flagged AI answers"


# Everyone signed in sees the inbox of their own teams and works their conversations; these
# are the extras, by role.
GRANTS: dict[Permission, frozenset[str]] = {
    Permission.SEE_ALL_TEAMS: frozenset({AgentRole.ADMIN}),
    Permission.REASSIGN: frozenset({AgentRole.ADMIN}),
    Permission.REVIEW_FLAGS: frozenset({AgentRole.QA, AgentRole.KNOWLEDGE_OPS, AgentRole.ADMIN}),
}


def can(agent: Agent, permission: Permission) -> bool:
    return agent.role in GRANTS[permission]


def require(agent: Agent, permission: Permission) -> None:
    if not can(agent, permission):
        raise Forbidden(f"your role ({agent.role}) may not {permission}")


# --- the session cookie -------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceSession:
    csrf: str
    agent_id: str | None = None
    key: str | None = None


def new_session(agent: Agent | None = None) -> WorkspaceSession:
    token = secrets.token_urlsafe(32)
    if agent is None:
        return WorkspaceSession(csrf=token)
    return WorkspaceSession(csrf=token, agent_id=agent.id, key=password_key(agent))


def password_key(agent: Agent) -> str:
    return hashlib.sha256((agent.password_hash or "").encode()).hexdigest()[:16]


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def read_session(request: Request, settings: Settings) -> WorkspaceSession | None:
    """The session in the request's cookie, or None if absent, forged or older than 12 h."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(settings).loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    agent_id, key = data.get("agent"), data.get("key")
    return WorkspaceSession(
        csrf=data["csrf"],
        agent_id=agent_id if isinstance(agent_id, str) else None,
        key=key if isinstance(key, str) else None,
    )


def write_session(response: Response, session: WorkspaceSession, settings: Settings) -> None:
    value = _serializer(settings).dumps(
        {"agent": session.agent_id, "csrf": session.csrf, "key": session.key}
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
    )


def clear_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
    )


# --- dependencies -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    agent: Agent
    session: WorkspaceSession


def signed_in(request: Request, database: DatabaseDep, settings: SettingsDep) -> SignedIn:
    session = read_session(request, settings)
    if session is None or session.agent_id is None:
        raise SignInRequired("please sign in")
    with database.read() as db:
        agent = db.get(Agent, session.agent_id)
    if agent is None or agent.password_hash is None or password_key(agent) != session.key:
        raise SignInRequired("your session has ended; please sign in again")
    return SignedIn(agent=agent, session=session)


def checked(
    signed: Annotated[SignedIn, Depends(signed_in)],
    csrf_token: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> SignedIn:
    """The signed-in agent of a POST that carries the session's CSRF token."""
    check_csrf(signed.session, csrf_token or x_csrf_token)
    return signed


def check_csrf(session: WorkspaceSession | None, given: str | None) -> None:
    if session is None or not given or not hmac.compare_digest(given, session.csrf):
        raise CsrfRejected("this form has expired or did not come from the workspace; reload")


SignedInDep = Annotated[SignedIn, Depends(signed_in)]
CheckedDep = Annotated[SignedIn, Depends(checked)]


# --- sign-in throttling -------------------------------------------------------------------


class SignInThrottle:
    """Failed sign-ins per key (email and client address) in a sliding window."""

    def __init__(
        self,
        limit: int = SIGN_IN_LIMIT,
        window: float = SIGN_IN_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None if it may now."""
        with self._lock:
            failures = self._recent(key)
            if len(failures) < self.limit:
                return None
            return max(failures[0] + self.window - self.clock(), 1.0)

    def failed(self, key: str) -> None:
        with self._lock:
            if key not in self._failures and len(self._failures) >= self.max_keys:
                self._forget_oldest()
            self._failures.setdefault(key, deque()).append(self.clock())
            self._recent(key)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        while len(failures) > self.limit:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def _forget_oldest(self) -> None:
        for key in list(self._failures):
            self._recent(key)
        if len(self._failures) >= self.max_keys:
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]


_throttle_guard = threading.Lock()


def throttle_of(request: Request) -> SignInThrottle:
    """The app's sign-in throttle (one per app, made on first use)."""
    with _throttle_guard:
        throttle: SignInThrottle | None = getattr(request.app.state, "workspace_throttle", None)
        if throttle is None:
            throttle = SignInThrottle()
            request.app.state.workspace_throttle = throttle
        return throttle


def throttle_key(request: Request, email: str) -> str:
    address = request.client.host if request.client else "unknown"
    return f"{email.strip().lower()}|{address}"
