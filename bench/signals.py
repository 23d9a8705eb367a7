"""Benchmark of the category/intent classifier: latency per message and training time.

    python bench/signals.py [--messages N] [--data-dir ../shared/data] [--skip-10k] [--json]

1. latency    ``CategoryClassifier.classify`` on one message at a time, once loaded, p50 and
              p99, over the demo's sample messages and seeded variants (N in all): with the
              sentence embedder (and the embedder's own share of it) and with n-grams only.
              Requirement for the whole signal set: p99 < 5 ms.
2. training   the demo's categories file, from nothing (requirement: < 2 s); and 10,000
              BANKING77 training messages (embeddings from the cache, so only the fitting is
              timed), with the product's settings (3 out-of-fold fits + the final fit) and
              with the final fit alone.

One thread for BLAS and ONNX Runtime, as in a web worker.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from relaydesk.knowledge.embeddings import Embedder, load_embedder
from relaydesk.signals.cache import CachedEmbedder
from relaydesk.signals.classifier import CategoryClassifier, train_classifier
from relaydesk.signals.intent_data import MissingData, read_banking77
from relaydesk.signals.model import TrainingOptions, train_linear_model
from relaydesk.signals.taxonomy import load_taxonomy

DEMO = Path(__file__).resolve().parent.parent / "relaydesk" / "demo"


def _messages(count: int, seed: int) -> list[str]:
    lines = (DEMO / "sample_messages.jsonl").read_text(encoding="utf-8").splitlines()
    base = [json.loads(line)["text"] for line in lines if line.strip()]
    rng = random.Random(seed)
    out = []
    for i in range(count):
        text = base[i % len(base)]
        if rng.random() < 0.3:
            cut = rng.randrange(max(1, len(text) - 1))
            text = text[:cut] + text[cut + 1 :]  # a typo
        out.append(text)
    return out


def _percentiles(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 3),
        "p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 3),
        "mean_ms": round(1000 * statistics.fmean(ordered), 3),
    }


def _time_each(call: Callable[[str], object], texts: list[str]) -> dict[str, float]:
    for text in texts[:20]:
        call(text)  # warm up
    timings = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        timings.append(time.perf_counter() - started)
    return _percentiles(timings)


def _timed(build: Callable[[], object]) -> float:
    started = time.perf_counter()
    build()
    return round(time.perf_counter() - started, 3)


def latency(texts: list[str], embedder: Embedder | None) -> dict[str, dict[str, float]]:
    taxonomy = load_taxonomy(DEMO / "categories.yaml")
    results = {"ngrams_only": _time_each(train_classifier(taxonomy, None).classify, texts)}
    if embedder is not None:
        dense: CategoryClassifier = train_classifier(taxonomy, embedder)
        results["with_embedder"] = _time_each(dense.classify, texts)
        results["embedder_alone"] = _time_each(lambda t: embedder.embed([t]), texts)
    return results


def training(embedder: Embedder | None, data_dir: Path, skip_10k: bool) -> dict[str, float]:
    taxonomy = load_taxonomy(DEMO / "categories.yaml")
    found = {"demo_ngrams_s": _timed(lambda: train_classifier(taxonomy, None))}
    if embedder is not None:
        found["demo_with_embedder_s"] = _timed(lambda: train_classifier(taxonomy, embedder))
    if skip_10k:
        return found
    try:
        examples = read_banking77(data_dir / "banking77" / "train.csv")
    except MissingData as error:
        print(f"skipping the 10k training time: {error}")
        return found
    vectors = CachedEmbedder(embedder).embed(examples.texts) if embedder else None
    scale = 10_000 / len(examples)
    for name, options in (
        ("product_3_folds", TrainingOptions()),
        ("final_fit_only", replace(TrainingOptions(), folds=0)),
    ):
        seconds = _timed(
            lambda options=options: train_linear_model(
                examples.texts, examples.labels, vectors, options
            )
        )
        found[f"banking77_10k_{name}_s"] = round(seconds * scale, 1)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--skip-10k", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    embedder, reason = load_embedder()
    results = {
        "embedder": embedder.model_id if embedder else reason,
        "latency": latency(_messages(args.messages, args.seed), embedder),
        "training": training(embedder, args.data_dir, args.skip_10k),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"embedder: {results['embedder']}")
    for name, numbers in results["latency"].items():
        print(
            f"classify, {name:15} p50 {numbers['p50_ms']:7.3f} ms   p99 {numbers['p99_ms']:7.3f} ms"
        )
    for name, seconds in results["training"].items():
        print(f"training, {name:35} {seconds:8.2f} s")


if __name__ == "__main__":
    main()
