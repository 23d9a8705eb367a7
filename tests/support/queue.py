"""A queue full of conversations waiting for a person, and agents to claim them.

Shared by the claim crash test and ``bench/queue_claims.py``: rows are inserted in bulk, not
through the message path, so thousands of waiting conversations take a moment to make.
"""

from __future__ import annotations

from sqlalchemy import insert

from relaydesk.conversations.models import Conversation, ConversationStatus, Customer
from relaydesk.db import Database, utcnow
from relaydesk.queue.models import Agent


def fill_queue(database: Database, conversations: int, agents: int) -> list[str]:
    """``conversations`` waiting for the frontline team, and the ids of ``agents`` agents on
    it, each able to hold every conversation at once."""
    with database.write() as session:
        customer = Customer(email="queue@example.com")
        session.add(customer)
        session.flush()
        now = utcnow()
        rows = [
            {
                "id": f"conv-{i:06d}",
                "customer_id": customer.id,
                "channel": "web",
                "status": ConversationStatus.WAITING_FOR_HUMAN,
                "team": "frontline",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(conversations)
        ]
        session.execute(insert(Conversation), rows)
        ids = [f"agent-{k}" for k in range(agents)]
        session.add_all(
            Agent(
                id=agent_id,
                name=agent_id,
                email=f"{agent_id}@example.com",
                teams=["frontline"],
                capacity=conversations,
            )
            for agent_id in ids
        )
    return ids
