"""Every table, gathered for Alembic and for the schema-drift test."""

from relaydesk.conversations.models import Conversation, Customer, Event, IdempotencyKey
from relaydesk.db import Base
from relaydesk.permissions.models import ApiKey
from relaydesk.policy.models import (
    DecisionChainHead,
    DecisionOutcome,
    DecisionRecord,
    PolicyActivation,
    PolicyPilot,
    PolicyVersion,
)
from relaydesk.queue.models import Agent, Claim, QueueFencing

metadata = Base.metadata

__all__ = [
    "Agent",
    "ApiKey",
    "Claim",
    "Conversation",
    "Customer",
    "DecisionChainHead",
    "DecisionOutcome",
    "DecisionRecord",
    "Event",
    "IdempotencyKey",
    "PolicyActivation",
    "PolicyPilot",
    "PolicyVersion",
    "QueueFencing",
    "metadata",
]
