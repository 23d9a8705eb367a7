"""The HTTP application, built by an explicit constructor call: ``create_app(settings)``."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaydesk import __version__
from relaydesk.actions.api import router as actions_router
from relaydesk.channels.widget import router as widget_router
from relaydesk.conversations.api import router as conversations_router
from relaydesk.conversations.service import resume_pending
from relaydesk.db import Database
from relaydesk.deps import DatabaseDep, MetricsDep
from relaydesk.errors import RelaydeskError
from relaydesk.knowledge.api import router as knowledge_router
from relaydesk.metrics import Metrics
from relaydesk.permissions.api import router as permissions_router
from relaydesk.policy.api import router as policy_router
from relaydesk.policy.compile import PolicyInvalid
from relaydesk.policy.runtime import PolicyRuntime
from relaydesk.policy.schemas import ProblemOut
from relaydesk.queue.api import router as queue_router
from relaydesk.settings import MAX_BODY_BYTES, Settings
from relaydesk.startup import load_knowledge, load_parts
from relaydesk.workspace import STATIC_PATH, static_files
from relaydesk.workspace import router as workspace_router

log = logging.getLogger(__name__)
UNDECODABLE_BODY = "There was an error parsing the body"  # FastAPI's detail for bad bytes


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.database_url, settings.db_pool_size)
        if settings.auto_migrate:
            database.upgrade()
        app.state.database = database
        app.state.knowledge_runtime = load_knowledge(settings, database)
        app.state.parts = load_parts(settings, database, app.state.knowledge_runtime.index)
        if app.state.parts.actions is not None:  # relaydesk_actions_total counts every run
            app.state.parts.actions.metrics = app.state.metrics
        app.state.policy_runtime = PolicyRuntime(
            settings.policy_refresh_seconds, settings.pilot_holdout_share
        )
        resumed = resume_pending(database, app.state.parts)
        if resumed:
            log.info("decided %d messages left undecided by an earlier run", resumed)
        yield
        database.dispose()

    app = FastAPI(
        title="Relaydesk",
        version=__version__,
        summary="The decision layer between support AI and the people who take over.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.middleware("http")(_count_requests)
    _add_error_handlers(app)
    app.include_router(conversations_router)
    app.include_router(policy_router)
    app.include_router(knowledge_router)
    app.include_router(queue_router)
    app.include_router(actions_router)
    app.include_router(permissions_router)
    app.include_router(widget_router)
    app.include_router(workspace_router)
    app.mount(STATIC_PATH, static_files(), name="workspace-static")
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["operations"])
    app.add_api_route("/metrics", metrics, methods=["GET"], tags=["operations"])
    return app


def healthz(database: DatabaseDep) -> JSONResponse:
    """Liveness and database reachability."""
    try:
        with database.read() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:
        body = {"status": "unavailable", "database": database.dialect, "error": str(error)}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok", "database": database.dialect, "version": __version__})


def metrics(registry: MetricsDep) -> Response:
    """Prometheus metrics in the text exposition format."""
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)


async def _count_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "unmatched")
    registry: Metrics = request.app.state.metrics
    registry.http_seconds.labels(request.method, path).observe(time.perf_counter() - started)
    registry.http_requests.labels(request.method, path, str(response.status_code)).inc()
    return response


def _error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def _location(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error["loc"] if part != "body") or "body"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RelaydeskError)
    async def relaydesk_error(_: Request, error: RelaydeskError) -> JSONResponse:
        return JSONResponse(error.to_dict(), status_code=error.status_code)

    @app.exception_handler(PolicyInvalid)
    async def invalid_policy(_: Request, error: PolicyInvalid) -> JSONResponse:
        problems = [ProblemOut.of(p).model_dump() for p in error.problems]
        body = {
            "code": "invalid_policy",
            "message": "the policy file has errors; the running policy is unchanged",
            "details": {"problems": problems},
        }
        return JSONResponse({"error": body}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        malformed = next((e for e in errors if e["type"] == "json_invalid"), None)
        if malformed is not None:
            reason = malformed.get("ctx", {}).get("error", "could not be parsed")
            return _error(400, "malformed_json", f"the request body is not valid JSON: {reason}")
        described = [{"field": _location(e), "message": e["msg"]} for e in errors]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in described)
        return _error(422, "invalid_request", message, errors=described)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400 and error.detail == UNDECODABLE_BODY:
            return _error(400, "malformed_body", "the request body must be UTF-8 encoded JSON")
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return _error(error.status_code, code, str(error.detail))


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413, before anything parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise RelaydeskError("request body too large")
            return message

        return counted

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(413, "body_too_large", f"the request body is over {self.max_bytes} bytes")
        await response(scope, receive, send)
