"""Request and response bodies of the knowledge base's HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from relaydesk.knowledge.importers import MAX_BODY_CHARS, MAX_TITLE
from relaydesk.knowledge.models import MAX_ARTICLE_ID

MAX_ARTICLES_PER_REQUEST = 1000


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ARTICLE_ID)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    content: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    url: str | None = Field(default=None, max_length=2000)
    category: str | None = Field(default=None, max_length=100)


class ArticlesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleIn] = Field(min_length=1, max_length=MAX_ARTICLES_PER_REQUEST)


class ImportedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    outcome: Literal["created", "updated", "unchanged", "restored"]


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    restored: int
    articles: list[ImportedOut]


class ArticleSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    category: str | None
    url: str | None
    version: int
    updated_at: datetime


class ArticlePage(BaseModel):
    articles: list[ArticleSummary]
    next_cursor: str | None


class VersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    content_hash: str
    source: str
    created_at: datetime


class ArticleOut(ArticleSummary):
    content: str
    content_hash: str
    deleted: bool = False
    versions: list[VersionSummary] = []


class SearchHitOut(BaseModel):
    article_id: str
    title: str
    version: int
    url: str | None
    heading: str
    text: str
    score: float
    coverage: float


class SearchOut(BaseModel):
    query: str
    mode: str
    hits: list[SearchHitOut]
