"""Rendering workspace pages and fragments, and turning errors into messages people can read.

Templates are Jinja2 with autoescaping on: every piece of customer, agent and AI text is
escaped. ``WorkspaceRoute`` is the workspace router's route class: it renders a
``RelaydeskError`` raised anywhere in a request (a dependency included) as HTML with the
error's status: a fragment for htmx requests (retargeted to ``#flash``), a page otherwise.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from relaydesk import __version__
from relaydesk.db import utcnow
from relaydesk.errors import RelaydeskError
from relaydesk.pipeline import Parts
from relaydesk.workspace.auth import Permission, SignedIn, SignInRequired, can

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
LOGIN_PATH = "/workspace/login"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Clock:
    """The moment a page is rendered, and how it shows times: relative, with the exact time
    (company time zone) for a title attribute."""

    now: datetime
    zone: tzinfo = UTC

    def ago(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        seconds = (self.now - moment).total_seconds()
        if seconds < 45:
            return "just now"
        return f"{span(seconds)} ago"

    def exact(self, moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")

    def iso(self, moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")

    def waited(self, since: datetime | None) -> str:
        return "" if since is None else span((self.now - since).total_seconds())


def span(seconds: float) -> str:
    """A duration as people say it: "under a minute", "4 min", "2 h 5 min", "3 d"."""
    minutes = math.floor(abs(seconds) / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} d"


def sla_text(state: str, seconds_left: float | None) -> str:
    if state == "met":
        return "met"
    if seconds_left is None:
        return "breached" if state == "breached" else "no target"
    if seconds_left <= 0:
        return f"breached {span(-seconds_left)} ago"
    return f"{span(seconds_left)} left"


def safe_url(url: object) -> str | None:
    """A link target only if it is http(s) or a path on this site: never ``javascript:``."""
    if not isinstance(url, str) or not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    return url if urlsplit(url).scheme in ("http", "https") else None


ROLE_LABELS = {"qa": "QA", "knowledge_ops": "Knowledge ops"}


def humanize(name: object) -> str:
    return str(name).replace("_", " ").strip().capitalize()


def role_label(role: object) -> str:
    return ROLE_LABELS.get(str(role), humanize(role))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(
        safe_url=safe_url, humanize=humanize, role_label=role_label, sla_text=sla_text
    )
    env.globals.update(version=__version__)
    return env


templates = Jinja2Templates(env=_environment())


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=headers
    )
    assert isinstance(response, HTMLResponse)
    return response


def redirect(request: Request, url: str) -> Response:
    """Go to ``url``: a 303 for a plain request, HX-Redirect for htmx."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_response(request: Request, status_code: int, message: str) -> Response:
    """The error as a ``#flash`` fragment for htmx, or as a page of its own."""
    if is_htmx(request):
        # A conflict means the page is out of date (someone else acted): offer a reload.
        page = urlsplit(request.headers.get("HX-Current-URL", "")).path
        on_conversation = page.startswith("/workspace/conversations/")
        reload = page if status_code == 409 and on_conversation else None
        return render(
            request,
            "_error.html",
            {"error": message, "reload": reload},
            status_code=status_code,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "outerHTML"},
        )
    return render(request, "error.html", {"error": message, "status": status_code}, status_code)


def sign_in_response(request: Request) -> Response:
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": LOGIN_PATH})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='')}", status_code=303)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors():
        field = ".".join(str(p) for p in problem["loc"] if p not in ("body", "query", "path"))
        parts.append(f"{field or 'request'}: {problem['msg']}")
    return "; ".join(parts) or "the request was not understood"


class WorkspaceRoute(APIRoute):
    """Renders the workspace's errors as HTML and adds its security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                response = sign_in_response(request)
            except RelaydeskError as error:
                response = error_response(request, error.status_code, error.message)
            except RequestValidationError as error:
                response = error_response(request, 422, _validation_message(error))
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded


def base_context(signed: SignedIn, parts: Parts, section: str = "") -> dict[str, Any]:
    """What every signed-in page and fragment needs."""
    return {
        "agent": signed.agent,
        "csrf": signed.session.csrf,
        "clock": Clock(utcnow(), parts.timezone),
        "can_review_flags": can(signed.agent, Permission.REVIEW_FLAGS),
        "section": section,
    }
