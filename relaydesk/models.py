"""Every table, gathered for Alembic and for the schema-drift test."""

from relaydesk.actions.models import ActionRun, ShopEffect
from relaydesk.conversations.models import Conversation, Customer, Event, IdempotencyKey
from relaydesk.db import Base
from relaydesk.knowledge.models import KbArticle, KbArticleVersion, KbEmbedding, KbRevision
from relaydesk.permissions.models import ApiKey, Approval, Grant
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
    "ActionRun",
    "Agent",
    "ApiKey",
    "Approval",
    "Claim",
    "Conversation",
    "Customer",
    "DecisionChainHead",
    "DecisionOutcome",
    "DecisionRecord",
    "Event",
    "Grant",
    "IdempotencyKey",
    "KbArticle",
    "KbArticleVersion",
    "KbEmbedding",
    "KbRevision",
    "PolicyActivation",
    "PolicyPilot",
    "PolicyVersion",
    "QueueFencing",
    "ShopEffect",
    "metadata",
]
