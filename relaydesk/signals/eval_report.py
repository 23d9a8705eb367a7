"""Printing and metrics shared by the request and satisfaction evaluations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")
stderr = Console(stderr=True)


@dataclass(frozen=True)
class Row:
    dataset: str
    split: str
    method: str
    n: int
    positives: int
    metrics: dict[str, float]
    published: str


def fail(message: str) -> NoReturn:
    stderr.print(f"[red]error[/red] {message}")
    raise typer.Exit(2)


def precision_recall(predicted: Sequence[bool], actual: Sequence[bool]) -> dict[str, float]:
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    fp = sum(p and not a for p, a in zip(predicted, actual, strict=True))
    fn = sum(a and not p for p, a in zip(predicted, actual, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def auc(scores: Sequence[float], actual: Sequence[bool]) -> float:
    """Area under the ROC curve (ties count half); 0.5 when one class is absent."""
    positives = [s for s, a in zip(scores, actual, strict=True) if a]
    negatives = [s for s, a in zip(scores, actual, strict=True) if not a]
    if not positives or not negatives:
        return 0.5
    ranked = sorted(scores)
    # Mann-Whitney U from mid-ranks: O(n log n), exact with ties.
    first: dict[float, int] = {}
    last: dict[float, int] = {}
    for position, score in enumerate(ranked, 1):
        first.setdefault(score, position)
        last[score] = position
    rank_sum = sum((first[s] + last[s]) / 2 for s in positives)
    u = rank_sum - len(positives) * (len(positives) + 1) / 2
    return round(float(u) / (len(positives) * len(negatives)), 4)


@contextmanager
def progress(quiet: bool) -> Iterator[Progress]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=quiet,
        transient=True,
    )
    with bar:
        yield bar


def tracked(bar: Progress, items: Sequence[T], description: str) -> Iterable[T]:
    yield from bar.track(items, total=len(items), description=description)


def report(title: str, rows: list[Row], as_json: bool, notes: Sequence[str] = ()) -> None:
    if as_json:
        print(json.dumps({"evaluation": title, "rows": [asdict(r) for r in rows],
                          "notes": list(notes)}, indent=2))  # fmt: skip
        return
    table = Table(title=title)
    for column in ("dataset", "split", "method", "n", "pos", "result", "published / reference"):
        table.add_column(column, overflow="fold")
    for row in rows:
        shown = {k: v for k, v in row.metrics.items() if k not in ("tp", "fp", "fn", "f1")}
        result = "  ".join(f"{k} {v:.3f}" for k, v in shown.items())
        table.add_row(row.dataset, row.split, row.method, str(row.n), str(row.positives),
                      result, row.published)  # fmt: skip
    console = Console()
    console.print(table)
    for note in notes:
        console.print(f"- {note}")
