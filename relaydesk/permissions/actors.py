"""Who asks for an action, and for whom: one plain value for every kind of actor.

    customer         a customer, for themselves
    human_agent      a person on the support team, with a role (agent, specialist, admin, ...)
    ai               Relaydesk's own AI, acting in a conversation for its customer
    delegated_agent  someone else's AI agent acting for one customer under a grant that customer
                     issued: "agent X acting for customer Y" (the RFC 8693 ``act`` claim's shape)
    system           Relaydesk itself (start-up, migrations); it runs no actions

An ``Actor`` is built by code from an authenticated credential (an API key, a grant token, a
workspace sign-in, the conversation being answered), never from text a model produced.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class ActorKind(StrEnum):
    CUSTOMER = "customer"
    HUMAN_AGENT = "human_agent"
    AI = "ai"
    DELEGATED_AGENT = "delegated_agent"
    SYSTEM = "system"


class Scope(StrEnum):
    """What a customer may let a delegated agent do."""

    ANSWER = "answer"  # ask questions, read order status
    CREATE_CASE = "create_case"
    REQUEST_REFUND = "request_refund"  # refunds and returns, up to the grant's refund limit
    CHANGE_ACCOUNT = "change_account"  # email and address


# The event ``source`` (relaydesk.conversations.models.Source) each kind writes as.
SOURCES = {
    ActorKind.CUSTOMER: "customer",
    ActorKind.HUMAN_AGENT: "human_agent",
    ActorKind.AI: "ai_agent",
    ActorKind.DELEGATED_AGENT: "delegated_agent",
    ActorKind.SYSTEM: "system",
}


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ActorKind
    id: str  # customer id, agent id, "relaydesk-ai", or the delegated agent's identity
    on_behalf_of: str | None = None  # the customer (internal id) the actor acts for
    role: str | None = None  # a human agent's role
    scopes: tuple[Scope, ...] = ()  # a delegated agent's grant
    refund_limit_cents: int = 0  # a delegated agent's grant
    grant_id: str | None = None
    name: str | None = None

    @classmethod
    def customer(cls, customer_id: str) -> Actor:
        return cls(kind=ActorKind.CUSTOMER, id=customer_id, on_behalf_of=customer_id)

    @classmethod
    def ai(cls, customer_id: str) -> Actor:
        return cls(kind=ActorKind.AI, id="relaydesk-ai", on_behalf_of=customer_id)

    @classmethod
    def human_agent(cls, agent_id: str, role: str, name: str | None = None) -> Actor:
        return cls(kind=ActorKind.HUMAN_AGENT, id=agent_id, role=role, name=name)

    @property
    def source(self) -> str:
        return SOURCES[self.kind]

    @property
    def label(self) -> str:
        """How events name the actor: "agent X acting for customer Y" in one short string."""
        if self.kind == ActorKind.DELEGATED_AGENT:
            return f"{self.id} for customer {self.on_behalf_of}"
        if self.kind == ActorKind.HUMAN_AGENT:
            return f"{self.name or self.id} ({self.role})"
        if self.kind == ActorKind.AI:
            return f"relaydesk-ai for customer {self.on_behalf_of}"
        return f"{self.kind.value} {self.id}"

    def chain(self) -> dict[str, Any]:
        """The delegation chain in the RFC 8693 shape: the subject, and who acts for it."""
        if self.kind in (ActorKind.DELEGATED_AGENT, ActorKind.AI):
            act: dict[str, Any] = {"sub": self.id, "kind": self.kind.value}
            if self.grant_id:
                act["grant"] = self.grant_id
            return {"sub": self.on_behalf_of, "act": act}
        return {"sub": self.id, "kind": self.kind.value}
