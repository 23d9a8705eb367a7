"""``relaydesk eval grounding``: the grounding check on BEGIN (Dziri et al., TACL 2022).

BEGIN pairs a knowledge snippet with a dialogue model's response, labelled by people "Fully
attributable", "Not fully attributable" or "Generic". The check scores each response as an
answer is scored (``answer_support``: its weakest claim) and is measured by how well that
score separates fully attributable responses from the rest: ROC AUC, and precision / recall
of "supported" at ``THRESHOLD``. The weights and threshold were chosen on the WoW dev file;
CMU-DoG and TopicalChat (long snippets) are held out.

Published figures: the BEGIN paper compares metrics by correlation with the labels, and we
found no per-file ROC AUC for this binary split to print beside ours, so none is printed.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from relaydesk.knowledge.embeddings import Embedder, load_embedder
from relaydesk.resolver.grounding import THRESHOLD, answer_support, split_sentences, support_all

DEFAULT_DATA_DIR = Path("/work/shared/data/begin_groundedness")
FILES = {
    "wow": "wow/begin_dev_wow.tsv",  # the file the weights and threshold were chosen on
    "cmu-dog": "cmu-dog/begin_dev_cmu.tsv",
    "topicalchat": "topicalchat/begin_dev_tc.tsv",
}
POSITIVE = "Fully attributable"
PUBLISHED = "not found"  # see the module docstring: no comparable published number


@dataclass(frozen=True)
class Example:
    knowledge: str
    response: str
    attributable: bool


@dataclass(frozen=True)
class FileReport:
    name: str
    examples: int
    attributable: int
    auc: float
    precision: float
    recall: float
    threshold: float
    published: str = PUBLISHED


def read_begin(path: Path) -> list[Example]:
    csv.field_size_limit(1 << 24)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    missing = {"knowledge", "response", "begin_label"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path}: not a BEGIN file (no {', '.join(sorted(missing))} column)")
    return [
        Example(row["knowledge"], row["response"], row["begin_label"].strip() == POSITIVE)
        for row in rows
    ]


def score_response(example: Example, embedder: Embedder | None) -> float:
    sentences = split_sentences(example.response) or [example.response]
    return answer_support(support_all(sentences, [example.knowledge], embedder=embedder))


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that an attributable response outscores another (ties count half)."""
    values = np.asarray(scores, dtype=float)
    positive = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return float("nan")
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_recall(
    scores: list[float], labels: list[bool], threshold: float
) -> tuple[float, float]:
    predicted = [s >= threshold for s in scores]
    hits = sum(p and y for p, y in zip(predicted, labels, strict=True))
    return (hits / max(1, sum(predicted)), hits / max(1, sum(labels)))


def report(name: str, scores: list[float], labels: list[bool], threshold: float) -> FileReport:
    precision, recall = precision_recall(scores, labels, threshold)
    return FileReport(
        name, len(scores), sum(labels), round(roc_auc(scores, labels), 4), round(precision, 4),
        round(recall, 4), threshold,
    )  # fmt: skip


def _sample(examples: list[Example], limit: int | None, seed: int) -> list[Example]:
    if limit is None or limit >= len(examples):
        return examples
    return random.Random(seed).sample(examples, limit)


def _table(reports: list[FileReport]) -> Table:
    table = Table(
        title=f"BEGIN grounding: 'fully attributable' vs the rest (threshold {THRESHOLD})"
    )
    for column in ("file", "examples", "attributable", "ROC AUC", "precision", "recall"):
        table.add_column(column, justify="left" if column == "file" else "right", no_wrap=True)
    table.add_column("published (BEGIN)")
    for r in reports:
        table.add_row(
            r.name, str(r.examples), str(r.attributable), f"{r.auc:.3f}", f"{r.precision:.3f}",
            f"{r.recall:.3f}", r.published,
        )  # fmt: skip
    return table


def _inputs(data_dir: Path, file: Path | None) -> dict[str, Path]:
    inputs = {file.stem: file} if file else {n: data_dir / f for n, f in FILES.items()}
    missing = [str(p) for p in inputs.values() if not p.is_file()]
    if missing:
        typer.echo(
            f"BEGIN data not found: {', '.join(missing)}. Get it from "
            "https://github.com/google/BEGIN-dataset and pass --data-dir (or --file).",
            err=True,
        )
        raise typer.Exit(2)
    return inputs


def grounding(
    dataset: Annotated[str, typer.Option(help="The benchmark: only 'begin'.")] = "begin",
    data_dir: Annotated[Path, typer.Option(help="BEGIN's checkout.")] = DEFAULT_DATA_DIR,
    file: Annotated[Path | None, typer.Option(help="One TSV in BEGIN's format.")] = None,
    limit: Annotated[int | None, typer.Option(help="A seeded sample per file.")] = None,
    seed: Annotated[int, typer.Option()] = 13,
    lexical_only: Annotated[bool, typer.Option(help="Skip embeddings.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Measure the grounding check on BEGIN: ROC AUC, precision and recall per file."""
    if dataset != "begin":
        typer.echo(f"unknown dataset {dataset!r}: only 'begin'", err=True)
        raise typer.Exit(2)
    inputs = _inputs(data_dir, file)
    embedder = None if lexical_only else load_embedder()[0]
    examples = {name: _sample(read_begin(path), limit, seed) for name, path in inputs.items()}
    console = Console(stderr=True)
    scored: dict[str, list[float]] = {}
    with Progress(console=console, transient=True, disable=as_json) as progress:
        for name, items in examples.items():
            task = progress.add_task(f"scoring {name}", total=len(items))
            scored[name] = []
            for example in items:
                scored[name].append(score_response(example, embedder))
                progress.advance(task)
    reports = [
        report(name, scored[name], [e.attributable for e in examples[name]], THRESHOLD)
        for name in examples
    ]
    if len(reports) > 1:
        labels = [e.attributable for name in examples for e in examples[name]]
        reports.append(
            report("overall", [s for name in examples for s in scored[name]], labels, THRESHOLD)
        )
    if as_json:
        typer.echo(
            json.dumps(
                {"embeddings": embedder is not None, "files": [asdict(r) for r in reports]},
                indent=2,
            )
        )
        return
    Console().print(_table(reports))
    typer.echo("embeddings: " + ("MiniLM" if embedder else "off (lexical only)"))
