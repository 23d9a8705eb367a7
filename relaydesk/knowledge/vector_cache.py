"""Where passage vectors are kept between index builds, so unchanged text is never embedded
again. A vector is found by the model's id and the SHA-256 of the exact text embedded.

The database's cache (``relaydesk.knowledge.store.DatabaseVectorCache``) serves the app; the
in-memory one serves tests, and the SQLite file one the benchmark and evaluations.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from relaydesk.knowledge.embeddings import DIMENSIONS, Vectors


class VectorCache(Protocol):
    def get(self, model_id: str, keys: Sequence[str]) -> dict[str, Vectors]:
        """The vectors known for these keys (missing keys are left out)."""
        ...

    def put(self, model_id: str, items: dict[str, Vectors]) -> None: ...


def to_blob(vector: Vectors) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blobs(rows: Iterable[tuple[str, bytes]]) -> dict[str, Vectors]:
    """Stored (key, float32 bytes) rows as vectors; a row of the wrong size is left out, so it
    is embedded again rather than served."""
    vectors = ((key, np.frombuffer(blob, dtype="<f4")) for key, blob in rows)
    return {key: vector for key, vector in vectors if vector.shape == (DIMENSIONS,)}


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class MemoryVectorCache:
    """A dictionary, counting what was asked and stored (tests read the counts)."""

    def __init__(self) -> None:
        self.vectors: dict[tuple[str, str], Vectors] = {}
        self.stored = 0

    def get(self, model_id: str, keys: Sequence[str]) -> dict[str, Vectors]:
        return {k: self.vectors[(model_id, k)] for k in keys if (model_id, k) in self.vectors}

    def put(self, model_id: str, items: dict[str, Vectors]) -> None:
        self.stored += len(items)
        self.vectors.update({(model_id, key): vector for key, vector in items.items()})


class SqliteVectorCache:
    """A file of vectors for command-line tools (one process at a time is enough there)."""

    BATCH = 500  # keys per query, under SQLite's parameter limit

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model_id TEXT, text_hash TEXT, vector BLOB,"
            " PRIMARY KEY (model_id, text_hash))"
        )

    def get(self, model_id: str, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        for start in range(0, len(keys), self.BATCH):
            batch = list(keys[start : start + self.BATCH])
            marks = ",".join("?" * len(batch))  # only placeholders are formatted in
            query = f"SELECT text_hash, vector FROM vectors WHERE model_id = ? AND text_hash IN ({marks})"  # noqa: E501, S608
            found.update(from_blobs(self._db.execute(query, [model_id, *batch])))
        return found

    def put(self, model_id: str, items: dict[str, Vectors]) -> None:
        rows = [(model_id, key, to_blob(vector)) for key, vector in items.items()]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()
