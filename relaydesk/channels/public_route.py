"""Routes that browsers on other sites call: CORS for the configured origins, and Retry-After.

``PublicRoute`` is a FastAPI route class. It renders a route's errors with the app's own
exception handlers (so the body has the app's error shape) and then, on every response, success
or error alike:

- adds ``Access-Control-Allow-Origin`` when the request's ``Origin`` is one of
  ``settings.widget_allowed_origins`` (``*`` allows any). Tokens travel in the
  ``Authorization`` header, never in cookies, so credentials are never allowed.
- adds ``Retry-After`` to a 429.

``preflight`` answers the browser's ``OPTIONS`` preflight for the same origins. Same-origin pages
(the demo) need none of this. CORS is the browser's rule, not an access control: anyone may
call these routes, which is why they are rate limited.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from relaydesk.channels.ratelimit import RateLimited
from relaydesk.settings import Settings

ALLOW_METHODS = "GET, POST"
ALLOW_HEADERS = "Authorization, Content-Type"
MAX_AGE_SECONDS = "600"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PublicRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()

        async def public_handler(request: Request) -> Response:
            try:
                response = await handle(request)
            except Exception as error:
                response = await _render(request, error)
                if isinstance(error, RateLimited):
                    response.headers["Retry-After"] = str(error.retry_after)
            add_cors_headers(request, response)
            return response

        return public_handler


async def _render(request: Request, error: Exception) -> Response:
    """The app's own handler's response for ``error``; re-raises if it has none (a 500)."""
    handlers = request.app.exception_handlers
    handler = next((handlers[k] for k in type(error).__mro__ if k in handlers), None)
    if handler is None:
        raise error
    if inspect.iscoroutinefunction(handler):
        response: Response = await handler(request, error)
    else:
        response = await run_in_threadpool(handler, request, error)
    return response


def allowed_origin(request: Request) -> str | None:
    origin = request.headers.get("origin")
    settings: Settings = request.app.state.settings
    allowed = settings.widget_allowed_origins
    return origin if origin and (origin in allowed or "*" in allowed) else None


def add_cors_headers(request: Request, response: Response) -> None:
    response.headers.add_vary_header("Origin")
    origin = allowed_origin(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"


def preflight(request: Request) -> Response:
    """The answer to a CORS preflight: what an allowed origin may send (nothing otherwise)."""
    response = Response(status_code=204)
    if allowed_origin(request) is not None:
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = MAX_AGE_SECONDS
    return response
