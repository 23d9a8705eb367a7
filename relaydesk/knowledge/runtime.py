"""Keeping a worker's knowledge index in step with the database.

Every change to the knowledge base moves a revision counter. A worker looks at it at most every
``refresh_seconds``; when it moved, the worker rebuilds its index in a background thread and
keeps answering from the old one until the new one is ready. The process that made a change
(an API call) rebuilds at once, so it reads its own writes. Passages whose text did not change
are never embedded again: their vectors come from the database's cache.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from relaydesk.db import Database
from relaydesk.knowledge import store
from relaydesk.knowledge.embeddings import Embedder
from relaydesk.knowledge.index import KnowledgeIndex
from relaydesk.pipeline import Parts

log = logging.getLogger(__name__)


def build_index(database: Database, embedder: Embedder | None) -> tuple[KnowledgeIndex, int]:
    """The index of every live article, and the revision it was built at."""
    with database.read() as session:
        revision = store.revision(session)
        articles = store.live_articles(session)
    cache = store.DatabaseVectorCache(database) if embedder is not None else None
    index = KnowledgeIndex(articles, embedder=embedder, vector_cache=cache)
    return index, revision


class KnowledgeRuntime:
    def __init__(
        self, index: KnowledgeIndex, revision: int, embedder: Embedder | None, refresh: float
    ) -> None:
        self.index = index
        self.revision = revision
        self.embedder = embedder
        self.refresh_seconds = refresh
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._building = False

    def current(self, database: Database) -> KnowledgeIndex:
        """The index to answer from now (a rebuild may have been started in the background)."""
        self._maybe_refresh(database)
        return self.index

    def apply(self, database: Database, parts: Parts) -> Parts:
        index = self.current(database)
        return parts if parts.knowledge is index else replace(parts, knowledge=index)

    def rebuild_now(self, database: Database) -> None:
        """After a change made by this process: serve it before answering the caller."""
        index, revision = build_index(database, self.embedder)
        with self._lock:
            if revision >= self.revision:
                self.index, self.revision = index, revision
            self._checked = time.monotonic()

    def _maybe_refresh(self, database: Database) -> None:
        with self._lock:
            now = time.monotonic()
            if self._building or now - self._checked < self.refresh_seconds:
                return
            self._checked = now
        with database.read() as session:
            latest = store.revision(session)
        with self._lock:
            if latest <= self.revision or self._building:
                return
            self._building = True
        threading.Thread(target=self._rebuild, args=(database,), daemon=True).start()

    def _rebuild(self, database: Database) -> None:
        try:
            started = time.perf_counter()
            index, revision = build_index(database, self.embedder)
            with self._lock:
                if revision > self.revision:
                    self.index, self.revision = index, revision
            log.info(
                "knowledge base revision %d: %d passages indexed in %.1f s",
                revision,
                len(index.passages),
                time.perf_counter() - started,
            )
        except Exception:
            log.exception("rebuilding the knowledge index failed; serving the previous one")
        finally:
            with self._lock:
                self._building = False
