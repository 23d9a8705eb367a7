"""The knowledge base over HTTP: import, list, read (any version), delete, search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from relaydesk.deps import ApiKeyDep, DatabaseDep
from relaydesk.errors import NotFound, Unprocessable
from relaydesk.knowledge import store
from relaydesk.knowledge.importers import InvalidArticle, SourcedArticle, article_from_record
from relaydesk.knowledge.index import Hit
from relaydesk.knowledge.models import MAX_ARTICLE_ID, KbArticle, KbArticleVersion
from relaydesk.knowledge.runtime import KnowledgeRuntime
from relaydesk.knowledge.schemas import (
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticlesIn,
    ArticleSummary,
    ImportedOut,
    ImportOut,
    SearchHitOut,
    SearchOut,
    VersionSummary,
)
from relaydesk.settings import MAX_MESSAGE_CHARS

router = APIRouter(prefix="/v1/kb", tags=["knowledge"])


def _runtime(request: Request) -> KnowledgeRuntime:
    runtime: KnowledgeRuntime = request.app.state.knowledge_runtime
    return runtime


@router.post("/articles", response_model=ImportOut)
def post_articles(
    body: ArticleIn | ArticlesIn,
    request: Request,
    response: Response,
    _: ApiKeyDep,
    database: DatabaseDep,
) -> ImportOut:
    """One article, or ``{"articles": [...]}``. Idempotent by id: the same text is no new
    version. ``201`` when any article was created. Invalid input stores nothing."""
    given = body.articles if isinstance(body, ArticlesIn) else [body]
    articles = [_checked(article, position) for position, article in enumerate(given)]
    with database.write() as session:
        counts = store.import_articles(session, articles)
    if counts.changed_ids:
        _runtime(request).rebuild_now(database)
    response.status_code = 201 if counts.created else 200
    return ImportOut(
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        restored=counts.restored,
        articles=[ImportedOut.model_validate(item) for item in counts.articles],
    )


def _checked(article: ArticleIn, position: int) -> SourcedArticle:
    try:
        parsed = article_from_record(article.model_dump())
    except InvalidArticle as error:
        raise Unprocessable(f"article {position} ({article.id!r}): {error}") from None
    return SourcedArticle(parsed, "api")


@router.get("/articles", response_model=ArticlePage)
def list_articles(
    _: ApiKeyDep,
    database: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=MAX_ARTICLE_ID)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
) -> ArticlePage:
    """Live articles in id order; pass ``next_cursor`` back for the next page."""
    with database.read() as session:
        rows = store.listed(session, limit + 1, cursor, category)
    page = [ArticleSummary.model_validate(row) for row in rows[:limit]]
    return ArticlePage(articles=page, next_cursor=page[-1].id if len(rows) > limit else None)


@router.get("/articles/{article_id:path}", response_model=ArticleOut)
def get_article(
    article_id: str,
    _: ApiKeyDep,
    database: DatabaseDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> ArticleOut:
    """The current text, or ``?version=N`` as it was (also after the article was deleted)."""
    with database.read() as session:
        row = session.get(KbArticle, article_id)
        if row is None:
            raise NotFound(f"no article {article_id!r}")
        return _article_out(session, row, version)


def _article_out(session: Session, row: KbArticle, number: int | None) -> ArticleOut:
    history = [VersionSummary.model_validate(v) for v in store.versions(session, row.id)]
    text: KbArticle | KbArticleVersion | None = row
    if number is not None:
        text = store.version(session, row.id, number)
        if text is None:
            raise NotFound(f"article {row.id!r} has no version {number} (1 to {row.version})")
    elif row.deleted_at is not None:
        raise NotFound(f"article {row.id!r} was deleted; ask for a ?version= of it")
    assert text is not None
    return ArticleOut(
        id=row.id,
        title=text.title,
        category=text.category,
        url=text.url,
        version=number or row.version,
        updated_at=row.updated_at,
        content=text.body,
        content_hash=text.content_hash,
        deleted=row.deleted_at is not None,
        versions=history,
    )


@router.delete("/articles/{article_id:path}", status_code=204)
def delete_article(
    article_id: str, request: Request, _: ApiKeyDep, database: DatabaseDep
) -> Response:
    """Stop answering from an article. Its versions stay, for the decisions that cited them."""
    with database.write() as session:
        deleted = store.delete(session, article_id)
    if not deleted:
        raise NotFound(f"no article {article_id!r}")
    _runtime(request).rebuild_now(database)
    return Response(status_code=204)


@router.get("/search", response_model=SearchOut)
def search(
    request: Request,
    _: ApiKeyDep,
    database: DatabaseDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_MESSAGE_CHARS)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    mode: Literal["bm25", "dense", "hybrid"] | None = None,
) -> SearchOut:
    """The passages the AI would read for this question, best first."""
    runtime = _runtime(request)
    index = runtime.current(database)
    if mode in ("dense", "hybrid") and runtime.embedder is None:
        raise Unprocessable(f"mode {mode!r} needs dense retrieval, which is off on this server")
    hits = index.search(q, k=k, mode=mode)
    return SearchOut(query=q, mode=mode or index.mode, hits=[_hit_out(hit) for hit in hits])


def _hit_out(hit: Hit) -> SearchHitOut:
    article = hit.passage.article
    return SearchHitOut(
        article_id=article.id,
        title=article.title,
        version=article.version,
        url=article.url,
        heading=hit.passage.heading,
        text=hit.passage.text,
        score=round(hit.score, 4),
        coverage=hit.coverage,
    )
