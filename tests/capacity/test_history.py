"""Reading capacity history from the store: arrivals and each category's AI resolution."""

from __future__ import annotations

from datetime import timedelta

from factories import message

from relaydesk.capacity.history import read_history
from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database, utcnow
from relaydesk.pipeline import Parts


def test_history_counts_conversations_and_handoffs_by_category(
    database: Database, parts: Parts
) -> None:
    texts = [
        "How do I reset my password?",
        "I forgot my password, how do I reset it?",
        "I want to close my account",
        "Do you ship to Australia?",
    ]
    start = utcnow() - timedelta(seconds=1)
    for text in texts:
        handle_message(database, parts, Inbound(MessageCreate.model_validate(message(text))))
    with database.read() as session:
        history = read_history(session, start, utcnow() + timedelta(seconds=1))
    assert history.conversations == 4
    by_name = {mix.category: mix for mix in history.categories}
    assert by_name["account_closure"].handed_over == 1
    assert by_name["account_closure"].ai_resolution_rate == 0
    assert by_name["shipping"].ai_resolution_rate == 1
    assert sum(mix.conversations for mix in history.categories) == 4
    assert history.arrival_categories[2] == "account_closure"
    with database.read() as session:
        empty = read_history(session, start - timedelta(days=2), start - timedelta(days=1))
    assert empty.conversations == 0
    assert empty.ai_resolution_rate == 0
