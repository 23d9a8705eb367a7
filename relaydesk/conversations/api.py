"""HTTP routes for messages and conversations (``/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from relaydesk.conversations import repository
from relaydesk.conversations.models import ConversationStatus
from relaydesk.conversations.results import conversation_detail, count_message, message_result
from relaydesk.conversations.schemas import (
    ConversationDetail,
    ConversationPage,
    ConversationRead,
    MessageCreate,
    MessageResult,
)
from relaydesk.conversations.service import Inbound, handle_message, resolve_conversation
from relaydesk.deps import ApiKeyDep, DatabaseDep, MetricsDep, PartsDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["conversations"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="A retry with the same key returns the first result and stores nothing.",
    ),
]


@router.post("/messages", status_code=201, response_model=MessageResult)
def post_message(
    body: MessageCreate,
    response: Response,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    parts: PartsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> MessageResult:
    """Store a customer message, run the message path, return the decision and the reply."""
    inbound = Inbound(body, api_key_id=api_key.id, idempotency_key=idempotency_key)
    stored = handle_message(database, parts, inbound, wait=settings.idempotency_wait_seconds)
    with database.read() as session:
        result = message_result(session, stored.message_id, replayed=not stored.created)
    count_message(metrics, body.channel, result)
    if not stored.created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: str, _: ApiKeyDep, database: DatabaseDep
) -> ConversationDetail:
    """A conversation with its customer and every event, oldest first."""
    with database.read() as session:
        return conversation_detail(session, conversation_id)


@router.post("/conversations/{conversation_id}/resolve", response_model=ConversationRead)
def post_resolve(
    conversation_id: str, api_key: ApiKeyDep, database: DatabaseDep
) -> ConversationRead:
    """Mark the conversation resolved (idempotent). A customer who writes again reopens it."""
    conversation = resolve_conversation(database, conversation_id, actor=f"api:{api_key.name}")
    return ConversationRead.model_validate(conversation)


@router.get("/conversations", response_model=ConversationPage)
def list_conversations(
    _: ApiKeyDep,
    database: DatabaseDep,
    status: ConversationStatus | None = None,
    channel: str | None = None,
    customer_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> ConversationPage:
    """Most recently active first. Pass ``next_cursor`` back as ``cursor`` for the next page."""
    with database.read() as session:
        rows = repository.list_conversations(
            session,
            status=status,
            channel=channel,
            customer_id=customer_id,
            limit=limit + 1,
            cursor=cursor,
        )
    page, more = rows[:limit], len(rows) > limit
    return ConversationPage(
        items=[ConversationRead.model_validate(c) for c in page],
        next_cursor=repository.encode_cursor(page[-1]) if more else None,
    )
