"""The message path's input: one customer message with the context a decision needs.

A ``Turn`` is a plain value built from the store, so every stage can be run, replayed and
benchmarked without a database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from relaydesk.conversations.models import Source
from relaydesk.permissions.actors import Actor
from relaydesk.queue.wait import WaitEstimate


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CustomerContext(Frozen):
    id: str
    name: str | None = None
    tier: str | None = None
    vip: bool = False
    attributes: dict[str, object] = Field(default_factory=dict)
    recent_recontacts: int = 0
    open_conversations: int = 0


class HistoryEntry(Frozen):
    """An earlier message in the conversation, oldest first."""

    source: Source
    text: str


class Turn(Frozen):
    message_id: int
    conversation_id: str
    text: str
    channel: str
    customer: CustomerContext
    history: tuple[HistoryEntry, ...] = ()
    handed_over: bool = False
    # Who wrote the message when it was not the customer in person: a delegated agent, with
    # its grant's scopes (relaydesk.permissions.actors). None: the customer themselves.
    actor: Actor | None = None
    # When the message arrived, in the company's time zone (rules may read the hour and day).
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # The customer's language for what we write to them (handoff templates exist per locale).
    locale: str = "en"
    # The live wait for each team, read from the queue when the turn was built.
    waits: dict[str, WaitEstimate] = Field(default_factory=dict)

    @property
    def ai_turns(self) -> int:
        return sum(1 for entry in self.history if entry.source == Source.AI_AGENT)

    @property
    def customer_turns(self) -> int:
        return 1 + sum(1 for entry in self.history if entry.source == Source.CUSTOMER)
