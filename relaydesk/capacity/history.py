"""What the capacity models learn from the store: arrivals, and per category how much the AI
resolved and how much went to a person.

This is the edge where the database is read; everything it returns is plain values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import Conversation
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.outcomes import TO_A_PERSON


@dataclass(frozen=True)
class CategoryMix:
    category: str
    conversations: int
    handed_over: int  # reached a person at least once

    @property
    def handoff_share(self) -> float:
        return self.handed_over / self.conversations if self.conversations else 0.0

    @property
    def ai_resolution_rate(self) -> float:
        return 1.0 - self.handoff_share


@dataclass(frozen=True)
class History:
    arrivals: tuple[datetime, ...]  # when each conversation started
    categories: tuple[CategoryMix, ...]  # largest first
    arrival_categories: tuple[str, ...] = ()  # the category of each arrival, in order

    @property
    def conversations(self) -> int:
        return len(self.arrivals)

    @property
    def ai_resolution_rate(self) -> float:
        total = sum(mix.conversations for mix in self.categories)
        handed = sum(mix.handed_over for mix in self.categories)
        return 1.0 - handed / total if total else 0.0


def read_history(session: Session, since: datetime, until: datetime) -> History:
    """Conversations started in [since, until): when, and where their decisions sent them.

    A conversation's category is the one its first decision saw; it counts as handed over if
    any of its decisions routed to a person.
    """
    started = list(
        session.execute(
            select(Conversation.id, Conversation.created_at)
            .where(Conversation.created_at >= since, Conversation.created_at < until)
            .order_by(Conversation.created_at)
        )
    )
    ids = [conversation_id for conversation_id, _ in started]
    first_category: dict[str, str] = {}
    to_person: set[str] = set()
    for chunk in range(0, len(ids), 500):
        rows = session.execute(
            select(DecisionRecord.conversation_id, DecisionRecord.category, DecisionRecord.route)
            .where(DecisionRecord.conversation_id.in_(ids[chunk : chunk + 500]))
            .order_by(DecisionRecord.seq)
        )
        for conversation_id, category, route in rows:
            first_category.setdefault(conversation_id, category)
            if route in TO_A_PERSON:
                to_person.add(conversation_id)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for conversation_id in ids:
        tally = counts[first_category.get(conversation_id, "undecided")]
        tally[0] += 1
        tally[1] += conversation_id in to_person
    mixes = sorted(
        (CategoryMix(name, total, handed) for name, (total, handed) in counts.items()),
        key=lambda mix: (-mix.conversations, mix.category),
    )
    return History(
        arrivals=tuple(at for _, at in started),
        categories=tuple(mixes),
        arrival_categories=tuple(first_category.get(cid, "undecided") for cid in ids),
    )
