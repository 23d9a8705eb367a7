"""HTTP routes for actions: the catalogue, and what delegated agents send — actions they ask
for, and messages, which go through the same message path as a customer's.

A delegated agent authenticates with its grant token (``Authorization: Bearer rdg_...``),
never with an API key; what it may do is its grant's scopes narrowed by the Cedar policies.
Its requests have their own rate limit per grant, and every event and metric they leave is
labelled ``delegated_agent`` (messages: ``channel="delegated_agent"``).
"""

from __future__ import annotations

import math
import weakref
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from relaydesk.actions.service import ActionRequest, ActionRuntime
from relaydesk.channels.ratelimit import RateLimited, RateLimiter
from relaydesk.conversations.api import IdempotencyKeyHeader
from relaydesk.conversations.models import Conversation
from relaydesk.conversations.results import count_message, message_result
from relaydesk.conversations.schemas import MessageCreate, MessageResult, MessageText
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database
from relaydesk.deps import ApiKeyDep, DatabaseDep, MetricsDep, PartsDep, SettingsDep
from relaydesk.errors import RelaydeskError, Unauthorized
from relaydesk.permissions import grants
from relaydesk.permissions.actors import Actor
from relaydesk.resolver.types import ActionTaken
from relaydesk.settings import Settings

router = APIRouter(prefix="/v1", tags=["actions"])
_grant_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer rdg_...")
_limiters: weakref.WeakKeyDictionary[Any, RateLimiter] = weakref.WeakKeyDictionary()
STATUS_CODES = {"ran": 200, "awaiting_approval": 202, "denied": 403, "failed": 502}
CHANNEL = "delegated_agent"  # the channel of delegated agents' messages and conversations


class Unavailable(RelaydeskError):
    status_code = 503
    code = "actions_unavailable"


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Annotated[str, Field(min_length=1, max_length=64)]
    arguments: dict[str, Any] = Field(default_factory=dict)
    conversation_id: Annotated[str, Field(max_length=36)] | None = None


class DelegatedMessageIn(BaseModel):
    """A message from a delegated agent. Whose conversation it is comes from the grant."""

    model_config = ConfigDict(extra="forbid")

    text: MessageText
    conversation_id: Annotated[str, Field(max_length=36)] | None = None


class ActionOut(BaseModel):
    conversation_id: str | None
    action: ActionTaken


def runtime_of(parts: PartsDep) -> ActionRuntime:
    if parts.actions is None:
        raise Unavailable("actions are not configured on this server")
    return parts.actions


RuntimeDep = Annotated[ActionRuntime, Depends(runtime_of)]


def delegated_agent(
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_grant_bearer)],
) -> Actor:
    """The delegated agent a grant token stands for, within its own rate limit."""
    if bearer is None:
        raise Unauthorized("a grant token is required: 'Authorization: Bearer rdg_...'")
    with database.read() as session:
        actor = grants.authenticate(session, settings.secret_key, bearer.credentials)
    _rate_limit(request, settings, actor.grant_id or actor.id)
    return actor


DelegatedDep = Annotated[Actor, Depends(delegated_agent)]


def _rate_limit(request: Request, settings: Settings, key: str) -> None:
    limiter = _limiters.get(request.app)
    if limiter is None:
        limiter = RateLimiter(settings.delegated_rate_per_minute, settings.delegated_burst)
        _limiters[request.app] = limiter
    wait = limiter.take(key)
    if wait > 0:
        raise RateLimited(max(1, math.ceil(wait)))


@router.get("/actions")
def list_actions(_: ApiKeyDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Every action this server offers: parameters (JSON Schema), risk, resource kind."""
    return [spec.describe() for spec in runtime.registry]


@router.post("/delegated/actions", response_model=ActionOut)
def post_delegated_action(
    body: ActionIn,
    actor: DelegatedDep,
    runtime: RuntimeDep,
    database: DatabaseDep,
) -> JSONResponse:
    """A delegated agent asks for an action for its customer. 200 ran, 202 waiting for a
    person's approval (the conversation is handed to that team), 403 refused, with the
    policies that decided."""
    runtime.registry.get(body.action).parse(body.arguments)  # malformed: 422 before anything
    conversation_id = body.conversation_id or _new_conversation(database, actor)
    request = ActionRequest(
        body.action, body.arguments, actor, conversation_id=conversation_id, hand_over=True
    )
    taken = runtime.run(request)  # counted in relaydesk_actions_total by the runtime
    out = ActionOut(conversation_id=conversation_id, action=taken)
    return JSONResponse(out.model_dump(mode="json"), status_code=STATUS_CODES[taken.status])


@router.post("/delegated/messages", status_code=201, response_model=MessageResult)
def post_delegated_message(
    body: DelegatedMessageIn,
    response: Response,
    actor: DelegatedDep,
    database: DatabaseDep,
    parts: PartsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> MessageResult:
    """A delegated agent writes in its customer's conversation (a new one without
    ``conversation_id``). The message goes through the same path as a customer's; actions the
    AI proposes for it are authorized against the grant. The answer is as ``POST /v1/messages``."""
    message = MessageCreate(channel=CHANNEL, text=body.text, conversation_id=body.conversation_id)
    # An Idempotency-Key is scoped to the grant, as a customer's is to the API key.
    inbound = Inbound(
        message, api_key_id=actor.grant_id, idempotency_key=idempotency_key, actor=actor
    )
    stored = handle_message(database, parts, inbound, wait=settings.idempotency_wait_seconds)
    with database.read() as session:
        result = message_result(session, stored.message_id, replayed=not stored.created)
    count_message(metrics, CHANNEL, result)
    if not stored.created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result


def _new_conversation(database: Database, actor: Actor) -> str:
    assert actor.on_behalf_of is not None
    with database.write() as session:
        conversation = Conversation(customer_id=actor.on_behalf_of, channel=CHANNEL)
        session.add(conversation)
        session.flush()
        return conversation.id
