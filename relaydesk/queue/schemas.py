"""Request and response bodies of the queue's HTTP API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from relaydesk.queue.models import AgentStatus
from relaydesk.settings import MAX_MESSAGE_CHARS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    email: str
    role: str
    teams: list[str]
    capacity: int
    status: str
    can_sign_in: bool = False


class AgentPatch(Strict):
    status: AgentStatus


class ClaimNextIn(Strict):
    agent_id: str = Field(min_length=1, max_length=36)
    teams: list[str] | None = None


class ClaimIn(Strict):
    agent_id: str = Field(min_length=1, max_length=36)


class ClaimOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: str
    agent_id: str
    fencing_token: int = Field(description="Send it with every write on this conversation.")
    claimed_at: datetime
    released_at: datetime | None = None
    reason: str | None = None


class TokenIn(Strict):
    fencing_token: int = Field(description="The token of your claim (from the claim response).")


class ReplyIn(TokenIn):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class TransferIn(TokenIn):
    team: str = Field(min_length=1, max_length=64)


class ReassignIn(Strict):
    by_agent_id: str = Field(min_length=1, max_length=36)
    to_agent_id: str = Field(min_length=1, max_length=36)
    fencing_token: int | None = Field(default=None, description="Not needed by an admin.")


class NoteIn(Strict):
    agent_id: str = Field(min_length=1, max_length=36)
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class FlagIn(Strict):
    agent_id: str = Field(min_length=1, max_length=36)
    reason: str = Field(min_length=1, max_length=2_000)


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: str
    kind: str
    source: str
    actor: str | None
    text: str | None
    created_at: datetime


class InboxItem(BaseModel):
    conversation_id: str
    status: str
    team: str | None
    team_label: str
    priority: str
    customer_name: str | None
    ask: str
    handed_over_at: datetime | None
    sla_due: datetime | None
    sla_state: str
    sla_seconds_left: float | None
    owner_id: str | None
    owner_name: str | None
