"""The knowledge base in the database: importing (idempotent by article id), deleting, reading.

An import compares each article's content hash with the stored one: the same text is left
alone (no new version, nothing re-indexed); a changed text becomes the next version. Every
change moves the revision counter that workers watch (``relaydesk.knowledge.runtime``).
Services never commit: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from relaydesk.db import Database, utcnow
from relaydesk.knowledge.articles import Article
from relaydesk.knowledge.embeddings import Vectors
from relaydesk.knowledge.importers import SourcedArticle
from relaydesk.knowledge.models import KbArticle, KbArticleVersion, KbEmbedding, KbRevision
from relaydesk.knowledge.vector_cache import from_blobs, to_blob

CREATED, UPDATED, UNCHANGED, RESTORED = "created", "updated", "unchanged", "restored"


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    restored: int = 0  # deleted before, imported again
    changed_ids: list[str] = field(default_factory=list)

    def add(self, outcome: str, article_id: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != UNCHANGED:
            self.changed_ids.append(article_id)

    def merge(self, other: ImportCounts) -> None:
        for name in (CREATED, UPDATED, UNCHANGED, RESTORED):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.changed_ids.extend(other.changed_ids)


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
        outcome, _ = upsert(session, sourced)
        counts.add(outcome, sourced.article.id)
    if counts.changed_ids:
        bump_revision(session)
    return counts


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
