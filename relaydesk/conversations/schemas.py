"""The API's request and response shapes for messages and conversations."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from relaydesk.policy.decision import Decision
from relaydesk.settings import MAX_MESSAGE_CHARS


def _storable(value: str) -> str:
    """Text both databases can store: UTF-8 encodable (no lone surrogates) and no NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("contains invalid Unicode (a lone surrogate escape)") from error
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def _storable_tree(value: Any) -> Any:
    if isinstance(value, str):
        _storable(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable_tree(item)
    elif isinstance(value, list):
        for item in value:
            _storable_tree(item)
    return value


StorableStr = Annotated[str, AfterValidator(_storable)]
MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS),
    AfterValidator(_storable),
]
ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Attributes = Annotated[dict[str, Any], AfterValidator(_storable_tree)]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[StorableStr, Field(min_length=1, max_length=255)] | None = None
    email: Annotated[StorableStr, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    name: Annotated[StorableStr, Field(max_length=255)] | None = None
    tier: Annotated[StorableStr, Field(max_length=64)] | None = None
    attributes: Attributes | None = None


class MessageCreate(BaseModel):
    """One inbound customer message. Text is at most 10,000 characters."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, max_length=36)
    channel: ChannelName = Field(description="web, email, api, or a helpdesk's name")
    external_id: Annotated[StorableStr, Field(min_length=1, max_length=255)] | None = Field(
        default=None, description="The channel's own message id; a retry with it is a no-op."
    )
    customer: CustomerIn = Field(default_factory=CustomerIn)
    text: MessageText

    def fingerprint(self) -> str:
        """A hash of the request, to tell a retry from a different request under one key."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class DecisionOut(BaseModel):
    route: str
    team: str | None
    priority: str
    reasons: list[str]
    matched_rules: list[dict[str, str]]
    policy_name: str
    policy_version: str
    policy_hash: str
    arm: str | None
    record: int | None  # the decision record's seq: GET /v1/decisions/{record}

    @classmethod
    def of(cls, decision: Decision, record: int | None = None) -> DecisionOut:
        return cls(
            route=decision.route,
            team=decision.team,
            priority=decision.priority,
            reasons=decision.reasons,
            matched_rules=[rule.model_dump() for rule in decision.matched_rules],
            policy_name=decision.policy_name,
            policy_version=decision.policy_version,
            policy_hash=decision.policy_hash,
            arm=decision.arm,
            record=record,
        )


class ReplyOut(BaseModel):
    text: str
    citations: list[dict[str, Any]]


class WaitOut(BaseModel):
    """The wait the customer was told, and when a closed team opens."""

    minutes: int | None
    phrase: str
    open: bool
    opens_at: datetime | None = None


class HandoffOut(BaseModel):
    text: str
    team: str | None
    team_label: str | None = None
    wait: WaitOut | None = None


class MessageResult(BaseModel):
    conversation_id: str
    message_id: int
    replayed: bool = Field(description="True when this is the stored result of an earlier call.")
    decision: DecisionOut
    reply: ReplyOut | None = None
    handoff: HandoffOut | None = None


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    source: str
    actor: str | None
    text: str | None
    channel: str | None
    external_id: str | None
    caused_by: int | None
    payload: dict[str, Any]
    created_at: datetime


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    external_id: str | None
    email: str | None
    name: str | None
    tier: str | None
    attributes: dict[str, Any]


class ConversationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    channel: str
    status: str
    team: str | None
    created_at: datetime
    updated_at: datetime


class ConversationDetail(ConversationRead):
    customer: CustomerRead
    events: list[EventRead]


class ConversationPage(BaseModel):
    items: list[ConversationRead]
    next_cursor: str | None
