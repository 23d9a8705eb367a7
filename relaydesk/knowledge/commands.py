"""``relaydesk kb``: import, search, list, show and delete knowledge-base articles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from relaydesk.cli_options import DbOption, open_database
from relaydesk.knowledge import store
from relaydesk.knowledge.importers import ImportProblem, files_under
from relaydesk.knowledge.index import Mode
from relaydesk.knowledge.models import KbArticle
from relaydesk.knowledge.runtime import build_index
from relaydesk.startup import embedder_for

kb_app = typer.Typer(help="The knowledge base the AI answers from.")
console = Console()
err = Console(stderr=True)


@kb_app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.md .html .json .jsonl).")],
    db: DbOption = None,
    index: Annotated[
        bool, typer.Option(help="Embed what changed now, so servers pick it up fast.")
    ] = True,
) -> None:
    """Import articles: idempotent by id; a changed article becomes its next version.

    A malformed file or record is reported with its file and line, and the rest is imported.
    The exit code is 1 when anything could not be read."""
    settings, database = open_database(db)
    files, unreadable = files_under(paths)
    with Progress(
        "importing", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("import", total=len(files))
        counts, problems = store.import_files(database, files, lambda: progress.advance(task))
    problems = unreadable + problems
    if index and counts.changed_ids:
        with err.status(f"indexing {len(counts.changed_ids)} changed articles"):
            built, _ = build_index(database, embedder_for(settings))
        err.print(f"index: {len(built.passages)} passages, {built.mode} retrieval")
    console.print(
        f"{counts.created} created, {counts.updated} updated, {counts.restored} restored, "
        f"{counts.unchanged} unchanged, {len(problems)} problems"
    )
    _report(problems)
    if problems:
        raise typer.Exit(1)


def _report(problems: list[ImportProblem]) -> None:
    for problem in problems:
        err.print(f"[red]error[/red] {problem}", highlight=False, soft_wrap=True)


@kb_app.command("search")
def search(
    query: str,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 5,
    mode: Annotated[Mode | None, typer.Option(help="bm25, dense or hybrid.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """The passages the AI would read for this question, best first."""
    settings, database = open_database(db)
    index, _ = build_index(database, embedder_for(settings))
    if mode in ("dense", "hybrid") and index.mode == "bm25":
        err.print(f"[red]error:[/red] --mode {mode} needs the 'dense' extra installed")
        raise typer.Exit(2)
    hits = index.search(query, k=k, mode=mode)
    if as_json:
        rows = [
            {
                "article_id": hit.passage.article.id,
                "title": hit.passage.article.title,
                "version": hit.passage.article.version,
                "url": hit.passage.article.url,
                "heading": hit.passage.heading,
                "score": round(hit.score, 4),
                "coverage": hit.coverage,
                "text": hit.passage.text,
            }
            for hit in hits
        ]
        typer.echo(json.dumps({"query": query, "mode": mode or index.mode, "hits": rows}, indent=2))
        return
    table = Table("score", "article", "section", "coverage", title=f"{mode or index.mode}: {query}")
    for hit in hits:
        article = hit.passage.article
        table.add_row(
            f"{hit.score:.3f}", f"{article.title} ({article.id} v{article.version})",
            hit.passage.heading, f"{hit.coverage:.2f}",
        )  # fmt: skip
    console.print(table if hits else "no passage matches")


@kb_app.command("list")
def list_(
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    db: DbOption = None,
) -> None:
    """Every live article: id, version, category, title."""
    _, database = open_database(db)
    table = Table("id", "version", "category", "title")
    after: str | None = None
    with database.read() as session:
        while rows := store.listed(session, 500, after, category):
            for row in rows:
                table.add_row(row.id, str(row.version), row.category or "", row.title)
            after = rows[-1].id
    console.print(table)


@kb_app.command("show")
def show(
    article_id: str,
    version: Annotated[int | None, typer.Option(min=1, help="An earlier version.")] = None,
    db: DbOption = None,
) -> None:
    """One article's text (current, or an earlier version) and its history."""
    _, database = open_database(db)
    with database.read() as session:
        row = session.get(KbArticle, article_id)
        history = store.versions(session, article_id)
        text = store.version(session, article_id, version or (row.version if row else 0))
    if row is None or text is None:
        err.print(
            f"[red]error:[/red] no article {article_id!r}"
            + (f" version {version}" if version else "")
        )
        raise typer.Exit(1)
    state = " (deleted)" if row.deleted_at else ""
    console.print(f"[bold]{text.title}[/bold]  {row.id} v{text.version}{state}  {text.url or ''}")
    console.print(text.body, highlight=False, markup=False)
    console.print(
        "\nversions: "
        + ", ".join(f"v{v.version} {v.created_at:%Y-%m-%d %H:%M} ({v.source})" for v in history)
    )


@kb_app.command("delete")
def delete(article_id: str, db: DbOption = None) -> None:
    """Stop answering from an article (its versions stay for the decisions that cited them)."""
    _, database = open_database(db)
    with database.write() as session:
        deleted = store.delete(session, article_id)
    if not deleted:
        err.print(f"[red]error:[/red] no article {article_id!r}")
        raise typer.Exit(1)
    console.print(f"deleted {article_id}")
