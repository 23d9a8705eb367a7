"""Customer messages' sentence vectors, kept in the database between turns.

The path embeds a customer message once (repeat-ask or retrieval, through the process's
memoised embedder). After the decision is recorded, that vector is stored with the message;
when a later turn of the conversation is built, the earlier messages' vectors are read back
into the memo. So repeat-ask compares meanings without embedding earlier messages again, in
whichever worker takes the turn, and after a restart. Vectors of another model are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import Event, MessageVector, Source
from relaydesk.knowledge.embeddings import Embedder, MemoEmbedder

STORED = np.dtype("<f4")  # float32, little-endian, as the knowledge base's vectors


def keep_vector(session: Session, message_id: int, text: str, embedder: Embedder | None) -> None:
    """Stores the vector the path made for this message, if it made one."""
    if not isinstance(embedder, MemoEmbedder) or not text:
        return
    vector = embedder.recall(text)
    if vector is None:  # the path did not embed it (nothing needed the meaning)
        return
    session.add(
        MessageVector(
            event_id=message_id,
            model_id=embedder.model_id,
            vector=vector.astype(STORED).tobytes(),
        )
    )


def recall_vectors(session: Session, history: Sequence[Event], embedder: Embedder | None) -> None:
    """Puts the stored vectors of these earlier customer messages into the memo."""
    if not isinstance(embedder, MemoEmbedder):
        return
    texts = {e.id: e.text for e in history if e.source == Source.CUSTOMER and e.text}
    if not texts:
        return
    rows = session.scalars(
        select(MessageVector).where(
            MessageVector.event_id.in_(texts), MessageVector.model_id == embedder.model_id
        )
    ).all()
    size = embedder.dimensions * STORED.itemsize
    found = {
        texts[row.event_id]: np.frombuffer(row.vector, dtype=STORED).astype(np.float32)
        for row in rows
        if len(row.vector) == size
    }
    embedder.remember(found)
