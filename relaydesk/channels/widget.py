"""The customer chat widget's public API (``/widget/v1``), its script, and the demo shop page.

No API key: customers' browsers call these routes, identified by a signed visitor token
(relaydesk.channels.visitor) and rate limited per visitor and per IP
(relaydesk.channels.ratelimit). A message runs the same path as ``POST /v1/messages`` on
channel ``web``; what comes back is only what the customer may see
(relaydesk.channels.transcript). docs/widget.md describes the endpoints.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from relaydesk.channels.pages import router as pages_router
from relaydesk.channels.public_route import PublicRoute, preflight
from relaydesk.channels.ratelimit import WidgetLimits
from relaydesk.channels.transcript import WidgetEvent, latest_human_author, visible_events
from relaydesk.channels.visitor import START_AGAIN, InvalidVisitorToken, Visitor, VisitorTokens
from relaydesk.conversations.models import Conversation
from relaydesk.conversations.results import count_message, message_result
from relaydesk.conversations.schemas import (
    CustomerIn,
    MessageCreate,
    MessageText,
    StorableStr,
)
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.deps import DatabaseDep, MetricsDep, PartsDep, SettingsDep
from relaydesk.errors import NotFound, Unauthorized, Unprocessable

CHANNEL = "web"
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <visitor token>")

router = APIRouter()
api = APIRouter(prefix="/widget/v1", tags=["widget"], route_class=PublicRoute)


LocaleTag = Annotated[str, Field(max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[StorableStr, Field(min_length=1, max_length=255)] | None = None
    email: Annotated[StorableStr, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    locale: LocaleTag | None = Field(default=None, description='A language tag: "en", "de-AT".')


class SessionRead(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'.")
    visitor_id: str
    expires_in: int = Field(description="Seconds until the token expires.")


class WidgetMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: MessageText
    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None, description="A client-made id: a retry with it stores nothing new."
    )


class WidgetMessageResult(BaseModel):
    token: str = Field(description="The visitor token to use from now on.")
    conversation_id: str
    replayed: bool
    status: str
    events: list[WidgetEvent] = Field(description="This message and what followed it.")


class WidgetEventsPage(BaseModel):
    conversation_id: str | None
    status: str | None = Field(description="open, waiting_for_human, assigned or resolved.")
    human_agent: str | None = Field(description="The name of the last person who replied.")
    events: list[WidgetEvent]
    next_after: int = Field(description="Pass as ?after= to read on.")
    more: bool = Field(description="True when more events follow right away.")


async def get_limits(request: Request) -> WidgetLimits:
    # Async so that it runs on the event loop: the limits are made once, without a race.
    limits: WidgetLimits | None = getattr(request.app.state, "widget_limits", None)
    if limits is None:
        limits = request.app.state.widget_limits = WidgetLimits(request.app.state.settings)
    return limits


def get_tokens(settings: SettingsDep) -> VisitorTokens:
    return VisitorTokens(settings.secret_key, settings.widget_token_days)


LimitsDep = Annotated[WidgetLimits, Depends(get_limits)]
TokensDep = Annotated[VisitorTokens, Depends(get_tokens)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _visitor(tokens: VisitorTokens, bearer: HTTPAuthorizationCredentials | None) -> Visitor:
    if bearer is None:
        raise Unauthorized(
            "a visitor token is required: send 'Authorization: Bearer <token>' with the token "
            "from POST /widget/v1/sessions"
        )
    return tokens.read(bearer.credentials)


def sending_visitor(
    request: Request, limits: LimitsDep, tokens: TokensDep, bearer: BearerDep
) -> Visitor:
    """The visitor behind a message, once the IP and the visitor are within their limits."""
    limits.check_send(ip=_client_ip(request))
    visitor = _visitor(tokens, bearer)
    limits.check_send(visitor=visitor.id)
    return visitor


def polling_visitor(
    request: Request, limits: LimitsDep, tokens: TokensDep, bearer: BearerDep
) -> Visitor:
    limits.check_poll(ip=_client_ip(request))
    visitor = _visitor(tokens, bearer)
    limits.check_poll(visitor=visitor.id)
    return visitor


SendingVisitor = Annotated[Visitor, Depends(sending_visitor)]
PollingVisitor = Annotated[Visitor, Depends(polling_visitor)]


@api.post("/sessions", status_code=201)
def post_session(
    request: Request,
    limits: LimitsDep,
    tokens: TokensDep,
    body: SessionCreate | None = None,
) -> SessionRead:
    """Start a visitor. Nothing is stored until their first message."""
    limits.check_send(ip=_client_ip(request))
    given = body.model_dump(exclude_none=True) if body is not None else {}
    visitor = Visitor.new(**given)
    return SessionRead(
        token=tokens.issue(visitor), visitor_id=visitor.id, expires_in=tokens.max_age_seconds
    )


@api.post("/messages", status_code=201)
def post_message(
    body: WidgetMessageCreate,
    visitor: SendingVisitor,
    response: Response,
    database: DatabaseDep,
    parts: PartsDep,
    settings: SettingsDep,
    tokens: TokensDep,
    metrics: MetricsDep,
) -> WidgetMessageResult:
    """Send the visitor's message through the message path; return what they now see."""
    inbound = Inbound(_message_create(visitor, body))
    try:
        stored = handle_message(database, parts, inbound, wait=settings.idempotency_wait_seconds)
    except NotFound as error:  # the token's conversation is gone (e.g. a reset database)
        raise InvalidVisitorToken(f"this chat no longer exists; {START_AGAIN}") from error
    with database.read() as session:
        result = message_result(session, stored.message_id, replayed=not stored.created)
        conversation = session.get(Conversation, result.conversation_id)
        assert conversation is not None
        events = visible_events(session, conversation.id, after=stored.message_id - 1).events
    count_message(metrics, CHANNEL, result)
    if result.replayed:
        response.status_code = 200
    continued = visitor.model_copy(update={"conversation_id": conversation.id})
    return WidgetMessageResult(
        token=tokens.issue(continued),
        conversation_id=conversation.id,
        replayed=result.replayed,
        status=conversation.status,
        events=events,
    )


@api.get("/events")
def get_events(
    visitor: PollingVisitor,
    database: DatabaseDep,
    after: Annotated[int, Query(ge=0, description="The last event id seen; 0 for all.")] = 0,
) -> WidgetEventsPage:
    """What the visitor may see of their conversation after event ``after``, oldest first."""
    if visitor.conversation_id is None:
        return WidgetEventsPage(
            conversation_id=None, status=None, human_agent=None, events=[], next_after=after,
            more=False,
        )  # fmt: skip
    with database.read() as session:
        conversation = session.get(Conversation, visitor.conversation_id)
        if conversation is None:
            raise InvalidVisitorToken(f"this chat no longer exists; {START_AGAIN}")
        page = visible_events(session, conversation.id, after)
        human_agent = latest_human_author(session, conversation.id)
    return WidgetEventsPage(
        conversation_id=conversation.id,
        status=conversation.status,
        human_agent=human_agent,
        events=page.events,
        next_after=page.next_after,
        more=page.more,
    )


for _path in ("/sessions", "/messages", "/events"):
    api.add_api_route(_path, preflight, methods=["OPTIONS"], include_in_schema=False)


def _message_create(visitor: Visitor, body: WidgetMessageCreate) -> MessageCreate:
    attributes = {"locale": visitor.locale or "en"}
    if visitor.email is not None:
        # Unverified: kept as an attribute, never matched against customers' emails, so
        # that typing someone's address cannot attach a chat to their account.
        attributes["given_email"] = visitor.email
    external_id = f"{visitor.id}:{body.client_id}" if body.client_id else None
    try:
        return MessageCreate(
            conversation_id=visitor.conversation_id,
            channel=CHANNEL,
            external_id=external_id,
            customer=CustomerIn(id=visitor.customer_id, name=visitor.name, attributes=attributes),
            text=body.text,
        )
    except ValidationError as error:  # the token and body were checked; this is a backstop
        raise Unprocessable(f"the message could not be accepted: {error}") from None


router.include_router(api)
router.include_router(pages_router)
