"""``relaydesk eval retrieval``: how well the knowledge index finds the right article.

StackFAQ (Karan & Šnajder 2018): 125 StackExchange threads, each with paraphrases of its
question written by people. A thread (question + answers) is one article; each paraphrase is
a query whose one relevant article is its thread. Articles are ranked by their best passage
(max-pool). Published figure: BM25 over question + answer, nDCG@10 0.783.

The threads are shuffled with a fixed seed and halved: the hybrid's dense weight was chosen
on the ``tune`` half (``--sweep`` prints its nDCG@10 per weight), so the ``test`` half is the
honest figure for it; ``all`` is printed too.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from relaydesk.knowledge.articles import Article
from relaydesk.knowledge.embeddings import default_cache_dir, load_embedder
from relaydesk.knowledge.index import MODES, KnowledgeIndex, Mode, fuse, top_k
from relaydesk.knowledge.vector_cache import SqliteVectorCache

PUBLISHED_BM25_NDCG10 = 0.783
STACKFAQ_FILE = Path("stackfaq") / "stackExchange-FAQ.json"
SPLITS = ("all", "tune", "test")
DEPTH = 100  # documents ranked per query: MRR counts a hit below this as never found
SWEEP = tuple(round(0.1 * step, 1) for step in range(11))


@dataclass(frozen=True)
class Query:
    text: str
    relevant: str  # the id of the one relevant article
    split: str  # "tune" or "test"


@dataclass(frozen=True)
class Dataset:
    name: str
    articles: list[Article]
    queries: list[Query]


@dataclass(frozen=True)
class Metrics:
    queries: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr: float
    ndcg_at_10: float


def load_faq(path: Path, seed: int, name: str = "stackfaq") -> Dataset:
    """A StackFAQ-format file: ``root.qapair[]`` of ``rephr`` (queries), ``question``,
    ``answer``. Paraphrases that are placeholders ("*", empty) are skipped."""
    pairs = json.loads(path.read_text("utf-8"))["root"]["qapair"]
    halves = _halves(len(pairs), seed)
    articles: list[Article] = []
    queries: list[Query] = []
    for number, pair in enumerate(pairs):
        article_id = f"thread-{number:03d}"
        answers = pair.get("answer") or []
        body = "\n\n".join([answers] if isinstance(answers, str) else answers)
        articles.append(Article(id=article_id, title=str(pair["question"]), body=body))
        queries.extend(
            Query(text, article_id, halves[number]) for text in _as_list(pair.get("rephr"))
        )
    return Dataset(name, articles, queries)


def _as_list(rephr: Any) -> list[str]:
    texts = rephr if isinstance(rephr, list) else [rephr]
    return [t.strip() for t in texts if isinstance(t, str) and sum(c.isalnum() for c in t) >= 3]


def _halves(count: int, seed: int) -> list[str]:
    order = list(range(count))
    random.Random(seed).shuffle(order)
    split = ["test"] * count
    for position in order[: count // 2]:
        split[position] = "tune"
    return split


def document_ranking(index: KnowledgeIndex, query: str, mode: Mode) -> list[str]:
    """Article ids, best first, each ranked by its best passage."""
    hits = index.search(query, k=min(len(index.passages), DEPTH * 3), mode=mode)
    return list(dict.fromkeys(hit.passage.article.id for hit in hits))[:DEPTH]


def score(rankings: Sequence[Sequence[str]], relevant: Sequence[str]) -> Metrics:
    """Recall@k, MRR and nDCG@10 with one relevant document per query."""
    ranks = [_rank(ranking, wanted) for ranking, wanted in zip(rankings, relevant, strict=True)]
    count = max(len(ranks), 1)

    def mean(value: Callable[[int | None], float]) -> float:
        return round(sum(value(rank) for rank in ranks) / count, 4)

    return Metrics(
        queries=len(ranks),
        recall_at_1=mean(lambda r: float(r is not None and r <= 1)),
        recall_at_5=mean(lambda r: float(r is not None and r <= 5)),
        recall_at_10=mean(lambda r: float(r is not None and r <= 10)),
        mrr=mean(lambda r: 1 / r if r is not None else 0.0),
        ndcg_at_10=mean(lambda r: 1 / math.log2(r + 1) if r is not None and r <= 10 else 0.0),
    )


def _rank(ranking: Sequence[str], wanted: str) -> int | None:
    return ranking.index(wanted) + 1 if wanted in ranking else None


def evaluate(
    dataset: Dataset, index: KnowledgeIndex, modes: Sequence[Mode]
) -> list[dict[str, Any]]:
    rows = []
    for mode in modes:
        rankings = [
            document_ranking(index, q.text, mode)
            for q in track(
                dataset.queries, description=f"{mode:>6}", console=_stderr, transient=True
            )
        ]
        for split in SPLITS:
            chosen = [i for i, q in enumerate(dataset.queries) if split in ("all", q.split)]
            metrics = score(
                [rankings[i] for i in chosen], [dataset.queries[i].relevant for i in chosen]
            )
            rows.append({"mode": mode, "split": split, **asdict(metrics)})
    return rows


def sweep(dataset: Dataset, index: KnowledgeIndex, split: str = "tune") -> dict[float, float]:
    """nDCG@10 of the hybrid for each dense weight, on one split: how the weight was chosen."""
    queries = [q for q in dataset.queries if split in ("all", q.split)]
    ids = [p.article.id for p in index.passages]
    parts = [index.score_parts(q.text) for q in track(queries, console=_stderr, transient=True)]
    results = {}
    for weight in SWEEP:
        rankings = []
        for lexical, cosine in parts:
            order = top_k(fuse(lexical, cosine, weight), DEPTH * 3)
            rankings.append(list(dict.fromkeys(ids[i] for i in order))[:DEPTH])
        results[weight] = score(rankings, [q.relevant for q in queries]).ndcg_at_10
    return results


_stderr = Console(stderr=True)


def retrieval(
    dataset: Annotated[str, typer.Option(help="Dataset: stackfaq.")] = "stackfaq",
    data_dir: Annotated[Path, typer.Option(help="Folder holding stackfaq/.")] = Path(
        "../shared/data"
    ),
    file: Annotated[
        Path | None, typer.Option(help="A file in StackFAQ's format, instead of the dataset.")
    ] = None,
    mode: Annotated[str, typer.Option(help="bm25, dense, hybrid or all.")] = "all",
    seed: Annotated[int, typer.Option(help="Seed of the tune/test halves.")] = 13,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_sweep: Annotated[
        bool, typer.Option("--sweep", help="Also print hybrid nDCG@10 per dense weight (tune).")
    ] = False,
) -> None:
    """Retrieval quality: recall@1/5/10, MRR and nDCG@10, beside the published BM25 figure."""
    if dataset != "stackfaq" and file is None:
        _fail(f"unknown dataset {dataset!r}: stackfaq, or --file PATH")
    path = file or data_dir / STACKFAQ_FILE
    if not path.is_file():
        _fail(f"{path} not found: pass --data-dir (the folder holding stackfaq/) or --file")
    if mode not in (*MODES, "all"):
        _fail(f"unknown mode {mode!r}: bm25, dense, hybrid or all")
    data = load_faq(path, seed, name=path.stem if file else dataset)
    index, modes = _build(data, mode)
    rows = evaluate(data, index, modes)
    weights = sweep(data, index) if show_sweep and index.vectors is not None else None
    _report(data, rows, weights, as_json)


def _fail(message: str) -> None:
    _stderr.print(f"[red]error[/red] {message}")
    raise typer.Exit(2)


def _build(data: Dataset, mode: str) -> tuple[KnowledgeIndex, list[Mode]]:
    wanted: list[Mode] = list(MODES) if mode == "all" else [mode]  # type: ignore[list-item]
    embedder = None
    if wanted != ["bm25"]:
        embedder, reason = load_embedder()
        _stderr.print(reason)
        if embedder is None:
            if mode != "all":
                _fail(f"{mode} retrieval needs the dense extra")
            wanted = ["bm25"]
    cache = SqliteVectorCache(default_cache_dir() / "vectors.sqlite") if embedder else None
    with _stderr.status(f"indexing {len(data.articles)} articles"):
        index = KnowledgeIndex(data.articles, embedder=embedder, vector_cache=cache)
    return index, wanted


def _report(
    data: Dataset, rows: list[dict[str, Any]], weights: dict[float, float] | None, as_json: bool
) -> None:
    summary = {
        "dataset": data.name,
        "documents": len(data.articles),
        "published": {"bm25_ndcg_at_10": PUBLISHED_BM25_NDCG10},
        "results": rows,
        **({"sweep_tune_ndcg_at_10": weights} if weights else {}),
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    table = Table(title=f"{data.name}: {len(data.articles)} documents, ranked by best passage")
    for column in ("mode", "split", "queries", "R@1", "R@5", "R@10", "MRR", "nDCG@10"):
        table.add_column(column, justify="left" if column in ("mode", "split") else "right")
    table.add_column("published BM25 nDCG@10", justify="right")
    for row in rows:
        metrics = [
            row[k] for k in ("recall_at_1", "recall_at_5", "recall_at_10", "mrr", "ndcg_at_10")
        ]
        table.add_row(
            row["mode"], row["split"], str(row["queries"]), *(f"{m:.3f}" for m in metrics),
            f"{PUBLISHED_BM25_NDCG10:.3f}" if row["split"] == "all" else "",
        )  # fmt: skip
    Console().print(table)
    if weights:
        Console().print("hybrid nDCG@10 by dense weight (tune half): " + ", ".join(
            f"{w:.1f}: {v:.3f}" for w, v in weights.items()))  # fmt: skip
