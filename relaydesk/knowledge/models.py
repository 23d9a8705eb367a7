"""Tables of the knowledge part: articles, every version of each, and cached embeddings.

An article's row holds its current text; ``kb_article_versions`` keeps every text it ever had,
so a decision that cited "version 3" can still show what version 3 said after the article
changed or was deleted. Embeddings are cached by a hash of the exact text embedded, so an
import re-embeds only passages whose text changed, and a restart embeds nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, utcnow

MAX_ARTICLE_ID = 200


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[str] = mapped_column(String(MAX_ARTICLE_ID), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))  # the file (and line) or "api"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]  # deleted articles are not served; versions stay


class KbArticleVersion(Base):
    __tablename__ = "kb_article_versions"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(2000))
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KbRevision(Base):
    """One row counting changes to the knowledge base: workers rebuild their index when it moves."""

    __tablename__ = "kb_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class KbEmbedding(Base):
    __tablename__ = "kb_embeddings"

    model_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
