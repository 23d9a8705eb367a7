"""Request dependencies, as aliases so that route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from relaydesk.db import Database
from relaydesk.errors import Unauthorized
from relaydesk.knowledge.runtime import KnowledgeRuntime
from relaydesk.metrics import Metrics
from relaydesk.permissions.api_keys import authenticate
from relaydesk.permissions.models import ApiKey
from relaydesk.pipeline import Parts
from relaydesk.policy.runtime import PolicyRuntime
from relaydesk.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer rd_...")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: rd_...")


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_parts(request: Request) -> Parts:
    """The path's parts, with the policy version and pilot currently active in the database."""
    database = request.app.state.database
    knowledge: KnowledgeRuntime = request.app.state.knowledge_runtime
    runtime: PolicyRuntime = request.app.state.policy_runtime
    return runtime.apply(database, knowledge.apply(database, request.app.state.parts))


def get_policy_runtime(request: Request) -> PolicyRuntime:
    runtime: PolicyRuntime = request.app.state.policy_runtime
    return runtime


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


DatabaseDep = Annotated[Database, Depends(get_database)]
PartsDep = Annotated[Parts, Depends(get_parts)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
PolicyRuntimeDep = Annotated[PolicyRuntime, Depends(get_policy_runtime)]


def require_api_key(
    database: DatabaseDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    plaintext = bearer.credentials if bearer is not None else header
    if not plaintext:
        raise Unauthorized(
            "an API key is required: send 'Authorization: Bearer <key>' "
            "(create one with `relaydesk apikey create NAME`)"
        )
    with database.read() as session:
        key = authenticate(session, plaintext)
    if key is None:
        raise Unauthorized("this API key is unknown or revoked")
    return key


ApiKeyDep = Annotated[ApiKey, Depends(require_api_key)]
