"""The knowledge base in the database, on SQLite and PostgreSQL: versions, idempotent imports,
deletes, and the embedding cache."""

from __future__ import annotations

import numpy as np

from relaydesk.db import Database
from relaydesk.knowledge import store
from relaydesk.knowledge.articles import Article
from relaydesk.knowledge.importers import SourcedArticle


def sourced(article_id: str = "kb-1", body: str = "Thirty days to return.") -> SourcedArticle:
    return SourcedArticle(Article(id=article_id, title="Returns", body=body), "test.md")


def test_import_is_idempotent_and_a_change_is_the_next_version(database: Database) -> None:
    with database.write() as session:
        first = store.import_articles(session, [sourced()])
    with database.write() as session:
        again = store.import_articles(session, [sourced()])
    with database.write() as session:
        changed = store.import_articles(session, [sourced(body="Fourteen days to return.")])
    assert (first.created, again.unchanged, changed.updated) == (1, 1, 1)
    assert again.changed_ids == []
    with database.read() as session:
        [article] = store.live_articles(session)
        history = store.versions(session, "kb-1")
        assert (article.version, article.body) == (2, "Fourteen days to return.")
        assert [(v.version, v.body) for v in history] == [
            (1, "Thirty days to return."),
            (2, "Fourteen days to return."),
        ]
        assert store.revision(session) == 2  # the unchanged import moved nothing


def test_delete_stops_serving_but_keeps_versions(database: Database) -> None:
    with database.write() as session:
        store.import_articles(session, [sourced(), sourced("kb-2")])
    with database.write() as session:
        assert store.delete(session, "kb-1")
        assert not store.delete(session, "kb-1")  # already gone
        assert not store.delete(session, "kb-unknown")
    with database.read() as session:
        assert [a.id for a in store.live_articles(session)] == ["kb-2"]
        assert store.find(session, "kb-1") is None
        assert store.version(session, "kb-1", 1) is not None
        assert store.count_live(session) == 1
    with database.write() as session:
        restored = store.import_articles(session, [sourced()])
    assert restored.restored == 1
    with database.read() as session:
        assert store.find(session, "kb-1").version == 2  # type: ignore[union-attr]


def test_listing_pages_by_id(database: Database) -> None:
    with database.write() as session:
        store.import_articles(session, [sourced(f"kb-{n}") for n in range(5)])
    with database.read() as session:
        first = store.listed(session, 2)
        rest = store.listed(session, 10, after=first[-1].id)
    assert [r.id for r in first] == ["kb-0", "kb-1"]
    assert [r.id for r in rest] == ["kb-2", "kb-3", "kb-4"]


def test_the_vector_cache_round_trips_and_ignores_duplicates(database: Database) -> None:
    cache = store.DatabaseVectorCache(database)
    vector = np.arange(384, dtype=np.float32) / 384
    cache.put("model-a", {"h1": vector})
    cache.put("model-a", {"h1": vector, "h2": vector * 2})  # h1 again: not an error
    cache._memory.clear()  # read them back from the database, as another process would
    found = cache.get("model-a", ["h1", "h2", "h3"])
    assert sorted(found) == ["h1", "h2"]
    np.testing.assert_array_equal(found["h2"], vector * 2)
    assert cache.get("model-b", ["h1"]) == {}
