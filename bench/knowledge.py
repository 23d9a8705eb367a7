"""Benchmark of the knowledge index: build time, size and query latency per mode, one thread.

    python bench/knowledge.py [--data-dir ../shared/data] [--sizes 698,10000] [--queries 300]

Knowledge bases: the 698 bank help articles of τ²-bench (``banking_knowledge/documents``), and
10,000 articles made of those, the 125 StackFAQ threads, and deterministic variations of the
bank articles to fill up (a region in the title and a closing section, every number shifted,
sections reordered: new text to embed, the same kind of language). Queries: StackFAQ's
paraphrases and the bank articles' titles, sampled with a fixed seed.

Passage vectors are cached by text hash in ``$RELAYDESK_CACHE_DIR/vectors.sqlite`` (default
``~/.cache/relaydesk``): the first run embeds every passage (minutes), reruns only read them.
The embedding build time printed is measured on 256 passages embedded afresh every run and
scaled to the whole base, so it does not depend on the cache.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one core, as one web worker gets

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from relaydesk.knowledge.articles import Article  # noqa: E402
from relaydesk.knowledge.embeddings import Embedder, default_cache_dir, load_embedder  # noqa: E402
from relaydesk.knowledge.evaluation import STACKFAQ_FILE, load_faq  # noqa: E402
from relaydesk.knowledge.index import MODES, KnowledgeIndex  # noqa: E402
from relaydesk.knowledge.vector_cache import SqliteVectorCache  # noqa: E402

BANKING = Path("tau2_bench") / "banking_knowledge" / "documents"
REGIONS = ("North", "South", "East", "West", "Central", "Coastal", "Mountain", "Lakes",
           "Valley", "Harbor", "Plains", "Metro", "Island", "Border")  # fmt: skip
SEED = 7
SAMPLE = 256  # passages embedded afresh to time the embedding build


def banking_articles(data_dir: Path) -> list[Article]:
    folder = data_dir / BANKING
    if not folder.is_dir():
        sys.exit(f"{folder} not found: pass --data-dir (the folder holding tau2_bench/)")
    records = [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
    return [Article(id=r["id"], title=r["title"], body=r["content"]) for r in records]


def variation(article: Article, number: int) -> Article:
    """A deterministic sibling: other region, other numbers, sections in another order."""
    rng = random.Random(f"{article.id}/{number}")
    region = REGIONS[number % len(REGIONS)]
    body = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), article.body)
    sections = re.split(r"\n(?=## )", body)
    head, rest = sections[:1], sections[1:]
    rng.shuffle(rest)
    closing = f"## Availability in the {region} region\n\nThese terms apply to {region} customers."
    return Article(
        id=f"{article.id}-{region.lower()}-{number}",
        title=f"{article.title} ({region} region)",
        body="\n".join([*head, *rest, closing]),
    )


def knowledge_base(size: int, banking: list[Article], faq: list[Article]) -> list[Article]:
    articles = (banking + faq)[:size]
    number = 0
    while len(articles) < size:
        articles.append(variation(banking[number % len(banking)], number // len(banking) + 1))
        number += 1
    return articles


def queries(data_dir: Path, banking: list[Article], count: int) -> list[str]:
    faq = [q.text for q in load_faq(data_dir / STACKFAQ_FILE, SEED).queries]
    pool = faq + [a.title.removeprefix("Internal: ").lower() for a in banking]
    return random.Random(SEED).sample(pool, min(count, len(pool)))


def percentiles(seconds: list[float]) -> str:
    p50, p99 = np.percentile(np.array(seconds) * 1000, [50, 99])
    return f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"


def measure(
    articles: list[Article], embedder: Embedder, cache_path: Path, asked: list[str]
) -> None:
    started = time.perf_counter()
    lexical = KnowledgeIndex(articles)
    bm25_seconds = time.perf_counter() - started
    passages = len(lexical.passages)
    texts = [p.search_text for p in lexical.passages]
    sample = random.Random(SEED).sample(texts, min(SAMPLE, passages))
    started = time.perf_counter()
    embedder.embed(sample)
    per_passage = (time.perf_counter() - started) / len(sample)
    cache = SqliteVectorCache(cache_path)
    started = time.perf_counter()
    index = KnowledgeIndex(articles, embedder=embedder, vector_cache=cache)
    cached_build = time.perf_counter() - started
    cache.close()
    assert index.vectors is not None
    bm25_bytes = sum(a.nbytes for a in index._bm25.scores.values() if isinstance(a, np.ndarray))
    print(f"\n{len(articles)} articles, {passages} passages")
    print(f"  BM25 index build        {bm25_seconds:7.2f} s   size {bm25_bytes / 1e6:6.1f} MB")
    print(f"  embedding all passages  {per_passage * passages:7.1f} s   "
          f"({per_passage * 1000:.1f} ms a passage, {embedder.model_id}, one thread)")  # fmt: skip
    vectors_mb = index.vectors.nbytes / 1e6
    # On a first run this build embeds every passage; on reruns it reads the cache.
    print(f"  full hybrid build       {cached_build:7.2f} s   vectors {vectors_mb:6.1f} MB")
    for mode in MODES:
        print(f"  query {mode:<7} {percentiles(latencies(index, asked, mode))}")


def latencies(index: KnowledgeIndex, asked: list[str], mode: str) -> list[float]:
    for text in asked[:20]:  # warm caches and the ONNX session
        index.search(text, mode=mode)  # type: ignore[arg-type]
    seconds = []
    for text in asked:
        started = time.perf_counter()
        index.search(text, k=5, mode=mode)  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - started)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sizes", default="698,10000", help="articles per knowledge base")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    embedder, reason = load_embedder()
    print(reason)
    if embedder is None:
        return 1
    banking = banking_articles(args.data_dir)
    faq = load_faq(args.data_dir / STACKFAQ_FILE, SEED).articles
    asked = queries(args.data_dir, banking, args.queries)
    print(f"{len(asked)} queries, one thread, in process (KnowledgeIndex.search, k=5)")
    for size in (int(s) for s in args.sizes.split(",")):
        measure(
            knowledge_base(size, banking, faq),
            embedder,
            default_cache_dir() / "vectors.sqlite",
            asked,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
