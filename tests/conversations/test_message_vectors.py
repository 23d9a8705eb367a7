"""Customer messages' vectors kept between turns, on SQLite and PostgreSQL: the next turn, in
another worker with an empty memo, reads the earlier message's vector instead of embedding it."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from factories import message
from sqlalchemy import select

from relaydesk.conversations.models import Event, MessageVector
from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database
from relaydesk.knowledge.embeddings import Embedder, MemoEmbedder, Vectors
from relaydesk.pipeline import Parts
from relaydesk.policy.models import DecisionRecord

ASKED = "how do I reset my password"
RESTATED = "I cannot log in, I forgot my password"


class Counting:
    """The real model, noting every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.seen = inner, list[str]()
        self.model_id, self.dimensions = inner.model_id, inner.dimensions

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.seen.extend(texts)
        return self.inner.embed(texts)


def _worker(parts: Parts) -> tuple[Parts, Counting]:
    """The same parts with a memo of their own, as another process would have."""
    assert isinstance(parts.knowledge.embedder, MemoEmbedder)
    counting = Counting(parts.knowledge.embedder.inner)
    knowledge = copy.copy(parts.knowledge)
    knowledge.embedder = MemoEmbedder(counting, size=64)
    return replace(parts, knowledge=knowledge), counting


def _send(database: Database, parts: Parts, text: str, conversation: str | None = None) -> int:
    fields: dict[str, object] = {"customer": {"email": "vectors@example.com"}}
    if conversation is not None:
        fields["conversation_id"] = conversation
    body = MessageCreate.model_validate(message(text, **fields))
    return handle_message(database, parts, Inbound(body)).message_id


def _repeat_count(database: Database, message_id: int) -> int:
    with database.read() as session:
        record = session.scalars(
            select(DecisionRecord).where(DecisionRecord.message_id == message_id)
        ).one()
    return int(json.loads(record.body)["facts"]["signals"]["repeat_ask"]["count"])


def test_the_next_turn_reads_the_earlier_vector_in_another_worker(
    database: Database, parts: Parts
) -> None:
    first_worker, _ = _worker(parts)
    first = _send(database, first_worker, ASKED)
    with database.read() as session:
        kept = session.get(MessageVector, first)
        conversation = session.get(Event, first).conversation_id  # type: ignore[union-attr]
    assert kept is not None
    inner = first_worker.knowledge.embedder.inner  # type: ignore[union-attr]
    assert kept.model_id == inner.model_id
    expected = inner.embed([ASKED])[0]
    np.testing.assert_array_equal(np.frombuffer(kept.vector, dtype="<f4"), expected)

    second_worker, counting = _worker(parts)
    second = _send(database, second_worker, RESTATED, conversation)
    assert counting.seen == [RESTATED]  # the earlier message came from the database
    assert _repeat_count(database, second) == 1


def test_a_vector_of_another_model_is_not_used(database: Database, parts: Parts) -> None:
    first_worker, _ = _worker(parts)
    first = _send(database, first_worker, ASKED)
    with database.write() as session:
        kept = session.get(MessageVector, first)
        assert kept is not None
        conversation = session.get(Event, first).conversation_id  # type: ignore[union-attr]
        kept.model_id = "some-other-model"
        kept.vector = np.ones(384, dtype="<f4").tobytes()
    second_worker, counting = _worker(parts)
    second = _send(database, second_worker, RESTATED, conversation)
    assert sorted(counting.seen) == sorted([RESTATED, ASKED])  # embedded again, not misread
    assert _repeat_count(database, second) == 1
