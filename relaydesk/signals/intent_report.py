"""Printing, progress bars and embedding for the intent evaluations."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from relaydesk.knowledge.embeddings import load_embedder
from relaydesk.signals.cache import CachedEmbedder
from relaydesk.signals.eval_report import progress
from relaydesk.signals.evaluation import Result, embed

stdout = Console(width=160)
stderr = Console(stderr=True)


@contextmanager
def steps(quiet: bool) -> Iterator[tuple[Callable[[int, int], None], Callable[[str], None]]]:
    """A bar for embedding (texts) and a line for the training step in progress."""
    with progress(quiet) as bar:
        embedding = bar.add_task("embedding", total=0)
        step = bar.add_task("training", total=None)

        def advance(total: int, done: int) -> None:
            bar.update(embedding, total=total, completed=done)

        yield advance, lambda text: bar.update(step, description=f"training: {text}")


def dataset_embedder(dense: bool) -> CachedEmbedder | None:
    if not dense:
        return None
    embedder, reason = load_embedder()
    if embedder is None:
        stderr.print(f"[yellow]{reason}[/yellow]: measuring n-grams only")
        return None
    return CachedEmbedder(embedder)


def embed_all(
    embedder: CachedEmbedder | None, lists: list[list[str]], quiet: bool
) -> list[np.ndarray | None]:
    total = sum(len(texts) for texts in lists)
    done = 0
    found: list[np.ndarray | None] = []
    with steps(quiet) as (advance, _):
        for texts in lists:

            def count(n: int) -> None:
                nonlocal done
                done += n
                advance(total, done)

            found.append(embed(embedder, texts, count))
    return found


def print_results(results: list[Result], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([asdict(result) for result in results], indent=2))
        return
    table = Table("dataset", "split", "method", "n", "metric", "value", "published")
    for r in results:
        value = f"{r.value:.4f}" if r.metric in ("auroc", "threshold") else f"{100 * r.value:.2f}%"
        table.add_row(r.dataset, r.split, r.method, str(r.n), r.metric, value, r.published)
    stdout.print(table)


def method_name(embedder: CachedEmbedder | None) -> str:
    features = f"{embedder.model_id} + n-grams" if embedder else "n-grams"
    return f"LR + nearest-examples vote on {features}"
