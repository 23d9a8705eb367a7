"""The knowledge base in the database: importing (idempotent by article id), deleting, reading.

An import compares each article's content hash with the stored one: the same text is left
alone (no new version, nothing re-indexed); a changed text becomes the next version. Every
change moves the revision counter that workers watch (``relaydesk.knowledge.runtime``).
Services never commit: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from relaydesk.db import Database, utcnow
from relaydesk.knowledge.articles import Article
from relaydesk.knowledge.embeddings import Vectors
from relaydesk.knowledge.importers import ImportProblem, SourcedArticle, read_file
from relaydesk.knowledge.models import KbArticle, KbArticleVersion, KbEmbedding, KbRevision
from relaydesk.knowledge.vector_cache import from_blobs, to_blob

CREATED, UPDATED, UNCHANGED, RESTORED = "created", "updated", "unchanged", "restored"
IMPORT_BATCH = 200  # articles to a transaction


@dataclass(frozen=True)
class Imported:
    id: str
    version: int
    outcome: str  # CREATED, UPDATED, UNCHANGED or RESTORED (deleted before, imported again)


@dataclass
class ImportCounts:
    """What an import did to each article; the counts are read off it."""

    articles: list[Imported] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(item.outcome == outcome for item in self.articles)

    @property
    def created(self) -> int:
        return self.count(CREATED)

    @property
    def updated(self) -> int:
        return self.count(UPDATED)

    @property
    def unchanged(self) -> int:
        return self.count(UNCHANGED)

    @property
    def restored(self) -> int:
        return self.count(RESTORED)

    @property
    def changed_ids(self) -> list[str]:
        return [item.id for item in self.articles if item.outcome != UNCHANGED]

    def merge(self, other: ImportCounts) -> None:
        self.articles.extend(other.articles)


def upsert(session: Session, sourced: SourcedArticle) -> tuple[str, KbArticle]:
    """Store one article; returns what happened and the row."""
    article = sourced.article
    digest = article.content_hash
    row = session.execute(
        select(KbArticle).where(KbArticle.id == article.id).with_for_update()
    ).scalar_one_or_none()
    now = utcnow()
    if row is None:
        row = KbArticle(id=article.id, version=1, created_at=now)
        outcome = CREATED
    elif row.deleted_at is None and row.content_hash == digest:
        return UNCHANGED, row
    else:
        outcome = RESTORED if row.deleted_at is not None else UPDATED
        row.version += 1
    row.title, row.body, row.category, row.url = (
        article.title,
        article.body,
        article.category,
        article.url,
    )
    row.content_hash, row.source, row.updated_at, row.deleted_at = digest, sourced.source, now, None
    session.add(row)
    session.flush()
    session.add(
        KbArticleVersion(
            article_id=row.id,
            version=row.version,
            title=row.title,
            body=row.body,
            category=row.category,
            url=row.url,
            content_hash=digest,
            source=sourced.source,
            created_at=now,
        )
    )
    return outcome, row


def import_articles(session: Session, articles: Iterable[SourcedArticle]) -> ImportCounts:
    counts = ImportCounts()
    for sourced in articles:
        outcome, row = upsert(session, sourced)
        counts.articles.append(Imported(row.id, row.version, outcome))
    if counts.changed_ids:
        bump_revision(session)
    return counts


def import_files(
    database: Database,
    files: Iterable[tuple[Path, Path]],
    read_one: Callable[[], None] = lambda: None,
) -> tuple[ImportCounts, list[ImportProblem]]:
    """Read ``(file, folder)`` pairs and store their articles, ``IMPORT_BATCH`` to a
    transaction: each article is written whole or not at all, and a file that cannot be read
    is a problem, not the end of the import. ``read_one`` is called after each file."""
    counts, problems = ImportCounts(), []
    pending: dict[str, SourcedArticle] = {}  # by id: the last one read wins
    for file, root in files:
        read = read_file(file, root)
        problems.extend(read.problems)
        pending.update((sourced.article.id, sourced) for sourced in read.articles)
        if len(pending) >= IMPORT_BATCH:
            counts.merge(_store_batch(database, pending))
            pending = {}
        read_one()
    counts.merge(_store_batch(database, pending))
    return counts, problems


def _store_batch(database: Database, articles: dict[str, SourcedArticle]) -> ImportCounts:
    with database.write() as session:
        return import_articles(session, articles.values())


def delete(session: Session, article_id: str) -> bool:
    """Stop serving an article; its versions stay for the decisions that cited them."""
    row = session.get(KbArticle, article_id, with_for_update=True)
    if row is None or row.deleted_at is not None:
        return False
    row.deleted_at = utcnow()
    bump_revision(session)
    return True


def find(session: Session, article_id: str) -> KbArticle | None:
    row = session.get(KbArticle, article_id)
    return row if row is not None and row.deleted_at is None else None


def versions(session: Session, article_id: str) -> Sequence[KbArticleVersion]:
    query = select(KbArticleVersion).where(KbArticleVersion.article_id == article_id)
    return session.scalars(query.order_by(KbArticleVersion.version)).all()


def version(session: Session, article_id: str, number: int) -> KbArticleVersion | None:
    return session.get(KbArticleVersion, (article_id, number))


def listed(
    session: Session, limit: int, after: str | None = None, category: str | None = None
) -> Sequence[KbArticle]:
    """Live articles in id order, from after ``after`` (keyset pagination)."""
    query = select(KbArticle).where(KbArticle.deleted_at.is_(None))
    if after is not None:
        query = query.where(KbArticle.id > after)
    if category is not None:
        query = query.where(KbArticle.category == category)
    return session.scalars(query.order_by(KbArticle.id).limit(limit)).all()


def as_article(row: KbArticle | KbArticleVersion) -> Article:
    number = row.version
    article_id = row.id if isinstance(row, KbArticle) else row.article_id
    return Article(
        id=article_id,
        title=row.title,
        body=row.body,
        category=row.category,
        url=row.url,
        version=number,
    )


def live_articles(session: Session) -> list[Article]:
    query = select(KbArticle).where(KbArticle.deleted_at.is_(None)).order_by(KbArticle.id)
    return [as_article(row) for row in session.scalars(query)]


def count_live(session: Session) -> int:
    query = select(func.count()).select_from(KbArticle).where(KbArticle.deleted_at.is_(None))
    return int(session.scalar(query) or 0)


def ever_stored(session: Session) -> bool:
    """Whether any article was ever imported (a knowledge base emptied on purpose stays empty)."""
    return session.scalar(select(KbArticle.id).limit(1)) is not None


def revision(session: Session) -> int:
    value = session.scalar(select(KbRevision.revision).where(KbRevision.id == 1))
    return int(value or 0)


def bump_revision(session: Session) -> None:
    session.execute(
        update(KbRevision).where(KbRevision.id == 1).values(revision=KbRevision.revision + 1)
    )


class DatabaseVectorCache:
    """Embeddings by (model, hash of the embedded text), shared by every worker and restart.

    Vectors read or written are also kept in this process (up to ``MEMORY_LIMIT``), so a
    rebuild after a small change reads only the new passages' vectors from the database.
    """

    BATCH = 500  # keys per IN (...) query, under every database's parameter limit
    MEMORY_LIMIT = 200_000  # vectors (~300 MB at 384 float32)
    _memory: ClassVar[dict[tuple[str, str], Vectors]] = {}

    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, model_id: str, keys: Sequence[str]) -> dict[str, Vectors]:
        found = {k: self._memory[(model_id, k)] for k in keys if (model_id, k) in self._memory}
        missing = [key for key in keys if key not in found]
        if missing:
            read = self._read(model_id, missing)
            self._remember(model_id, read)
            found.update(read)
        return found

    def _remember(self, model_id: str, items: dict[str, Vectors]) -> None:
        if len(self._memory) + len(items) > self.MEMORY_LIMIT:
            self._memory.clear()
        self._memory.update({(model_id, key): vector for key, vector in items.items()})

    def _read(self, model_id: str, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        with self.database.read() as session:
            for start in range(0, len(keys), self.BATCH):
                batch = list(keys[start : start + self.BATCH])
                rows = session.execute(
                    select(KbEmbedding.text_hash, KbEmbedding.vector).where(
                        KbEmbedding.model_id == model_id, KbEmbedding.text_hash.in_(batch)
                    )
                )
                found.update(from_blobs((key, blob) for key, blob in rows))
        return found

    def put(self, model_id: str, items: dict[str, Vectors]) -> None:
        if not items:
            return
        self._remember(model_id, items)
        with self.database.write() as session:
            known = set(self.get_keys(session, model_id, list(items)))
            session.add_all(
                KbEmbedding(
                    model_id=model_id,
                    text_hash=key,
                    vector=to_blob(vector),
                    created_at=utcnow(),
                )
                for key, vector in items.items()
                if key not in known
            )

    def get_keys(self, session: Session, model_id: str, keys: list[str]) -> list[str]:
        present: list[str] = []
        for start in range(0, len(keys), self.BATCH):
            query = select(KbEmbedding.text_hash).where(
                KbEmbedding.model_id == model_id,
                KbEmbedding.text_hash.in_(keys[start : start + self.BATCH]),
            )
            present.extend(session.scalars(query))
        return present
