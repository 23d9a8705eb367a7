"""Benchmark of the category/intent classifier and of the whole signal set with it: latency
per message and training time.

    python bench/signals.py [--messages N] [--data-dir ../shared/data] [--skip-10k] [--json]

1. classifier  ``CategoryClassifier.classify`` on one message at a time, once loaded, over the
               demo's sample messages and seeded variants (N in all): with n-grams only, with
               the sentence embedder, and the embedder alone (also by message length in
               tokens, and on email-length text, which it cuts at 256 tokens).
2. signal set  ``detect_signals`` as the message path calls it with the trained classifier
               (ask detectors, frustration, repeat-ask by words and, through the process's
               memoised embedder, by meaning; amount, keywords and the classifier),
               on chat-length messages (N) and email-length ones (N / 5, 2,000-4,000
               characters), each after 8 earlier messages (``bench/signals_detect.py``): with
               n-grams only; with the embedder (also by message length in tokens), and the same
               without the embedder's own time;
               then retrieval's embedding of the same message through the shared memo
               (``memoised``), which the path does next. Requirement: p99 < 5 ms.
3. training    the demo's categories file, from nothing (requirement: < 2 s); and 10,000
               BANKING77 training messages (embeddings from the cache, so only the fitting is
               timed), with the product's settings (3 out-of-fold fits + the final fit) and
               with the final fit alone.

Every latency is given as wall time and as this thread's CPU time (the work itself, whatever
else the machine runs); p99 is the nearest rank. One thread for BLAS and ONNX Runtime, as in
a web worker; per-text caches are emptied before each row.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import functools
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from signals_detect import clear_caches, figures, print_row, time_each, turns

from relaydesk.conversations.turn import Turn
from relaydesk.knowledge.embeddings import (
    MEMO_SIZE,
    Embedder,
    MemoEmbedder,
    Vectors,
    load_embedder,
)
from relaydesk.signals.cache import CachedEmbedder
from relaydesk.signals.categories import load_categories
from relaydesk.signals.classifier import CategoryClassifier, train_classifier
from relaydesk.signals.detect import detect_signals
from relaydesk.signals.intent_data import MissingData, read_banking77
from relaydesk.signals.model import TrainingOptions, train_linear_model
from relaydesk.signals.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "relaydesk" / "demo"
HISTORY = 8  # earlier messages in each benchmark conversation
TOKEN_BUCKETS = ((0, 16), (17, 32), (33, 64), (65, 128), (129, 256))

Figures = dict[str, float]


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


class TimedEmbedder:
    """Passes calls through (``embed``, and ``memo_key``/``embed_keys`` when the inner
    embedder has them) and adds up their wall and CPU time, so the signal set can be timed
    without the embedder's share."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimensions = inner.dimensions
        self.wall_ms = self.cpu_ms = 0.0
        for name in ("memo_key", "embed_keys"):
            if hasattr(inner, name):
                setattr(self, name, functools.partial(self._timed, getattr(inner, name)))

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors: Vectors = self._timed(self.inner.embed, texts)
        return vectors

    def _timed(self, call: Callable[..., Any], *args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return call(*args)
        finally:
            self.cpu_ms += (time.thread_time() - cpu) * 1000
            self.wall_ms += (time.perf_counter() - wall) * 1000


def _by_tokens(embedder: Embedder, texts: list[str]) -> dict[str, Figures]:
    """The embedder's CPU time by message length in tokens: its cost is the arithmetic."""
    count = getattr(embedder, "memo_key", None)
    if count is None:
        return {}
    timed: dict[tuple[int, int], list[float]] = {bucket: [] for bucket in TOKEN_BUCKETS}
    for text in texts:
        tokens = len(count(text))
        started = time.thread_time()
        embedder.embed([text])
        spent = (time.thread_time() - started) * 1000
        for low, high in TOKEN_BUCKETS:
            if low <= tokens <= high:
                timed[(low, high)].append(spent)
    return {
        f"{low}-{high} tokens": {"n": len(spent), "cpu_p50_ms": round(statistics.median(spent), 3)}
        for (low, high), spent in timed.items()
        if spent
    }


def classifier_latency(texts: list[str], emails: list[str], embedder: Embedder | None) -> dict:
    taxonomy = load_taxonomy(DEMO / "categories.yaml")
    ngrams = train_classifier(taxonomy, None)
    results: dict[str, object] = {"ngrams_only": time_each(ngrams.classify, texts, warm=20)}
    if embedder is not None:
        dense: CategoryClassifier = train_classifier(taxonomy, embedder)
        results["with_embedder"] = time_each(dense.classify, texts, warm=20)
        results["embedder_alone"] = time_each(lambda t: embedder.embed([t]), texts, warm=20)
        results["embedder_alone_email"] = time_each(lambda t: embedder.embed([t]), emails, warm=5)
        results["embedder_by_tokens"] = _by_tokens(embedder, [*texts, *emails])
    return results


def _high_risk() -> frozenset[str]:
    """The shipped default policy's high-risk categories, as the path passes them."""
    policy = yaml.safe_load((ROOT / "relaydesk" / "policy" / "default.yaml").read_text("utf-8"))
    return frozenset(policy["high_risk_categories"])


def _signal_set(sample: list[Turn], embedder: Embedder | None) -> dict[str, Figures]:
    """The whole set, as ``pipeline.run`` calls it; with the embedder, also the set without
    the embedder's time and retrieval's embedding of the message through the memo."""
    categories = load_categories(DEMO / "categories.yaml")
    taxonomy, high_risk = load_taxonomy(DEMO / "categories.yaml"), _high_risk()
    ngrams = train_classifier(taxonomy, None)
    clear_caches()
    found = {
        "ngrams_classifier": time_each(
            lambda t: detect_signals(t, categories, classifier=ngrams, high_risk=high_risk), sample
        )
    }
    if embedder is None:
        return found
    timed = TimedEmbedder(embedder)
    memo = MemoEmbedder(timed, size=MEMO_SIZE)  # type: ignore[arg-type]
    dense = train_classifier(taxonomy, embedder)
    path_classifier = CategoryClassifier(taxonomy, dense.model, memo)
    for turn in sample[:20]:
        detect_signals(
            turn, categories, memo.embed, classifier=path_classifier, high_risk=high_risk
        )
    clear_caches()
    rows: dict[str, tuple[list[float], list[float]]] = {
        name: ([], []) for name in ("with_embedder", "without_embedder", "retrieval_memo_hit")
    }
    count = getattr(embedder, "memo_key", None)
    for turn in sample:
        tokens = len(count(turn.text)) if count is not None else 0
        timed.wall_ms = timed.cpu_ms = 0.0
        wall, cpu = time.perf_counter(), time.thread_time()
        detect_signals(
            turn, categories, memo.embed, classifier=path_classifier, high_risk=high_risk
        )
        spent_cpu, spent = (time.thread_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
        rows["with_embedder"][0].append(spent)
        rows["with_embedder"][1].append(spent_cpu)
        for low, high in TOKEN_BUCKETS if count is not None else ():
            if low <= tokens <= high:  # the model's cost follows the message's length
                bucket = rows.setdefault(f"with_embedder_{low}-{high}_tokens", ([], []))
                bucket[0].append(spent)
                bucket[1].append(spent_cpu)
        rows["without_embedder"][0].append(spent - timed.wall_ms)
        rows["without_embedder"][1].append(spent_cpu - timed.cpu_ms)
        wall, cpu = time.perf_counter(), time.thread_time()
        memo.embed([turn.text])  # what KnowledgeIndex.search asks next
        rows["retrieval_memo_hit"][0].append((time.perf_counter() - wall) * 1000)
        rows["retrieval_memo_hit"][1].append((time.thread_time() - cpu) * 1000)
    return found | {name: figures(*timings) for name, timings in rows.items()}


def signal_set_latency(messages: int, seed: int, embedder: Embedder | None) -> dict:
    samples = {
        "chat": turns(messages, HISTORY, seed),
        "email": turns(max(50, messages // 5), HISTORY, seed, long=True),
    }
    return {kind: _signal_set(sample, embedder) for kind, sample in samples.items()}


def _timed(build: Callable[[], object]) -> float:
    started = time.perf_counter()
    build()
    return round(time.perf_counter() - started, 3)


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


def _report(results: dict) -> None:
    print(f"embedder: {results['embedder']}")
    print("classify, one message at a time (chat-length)")
    for name, numbers in results["classifier"].items():
        if name == "embedder_by_tokens":
            print("  embedder CPU p50 by length: " + ", ".join(
                f"{bucket} {n['cpu_p50_ms']:.2f} ms (n={n['n']})" for bucket, n in numbers.items()
            ))  # fmt: skip
        else:
            print_row(name, numbers)
    for kind, rows in results["signal_set"].items():
        print(f"whole signal set, {kind} ({HISTORY} earlier messages each)")
        for name, numbers in rows.items():
            print_row(name, numbers)
    for name, seconds in results["training"].items():
        print(f"training, {name:35} {seconds:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--skip-10k", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    embedder, reason = load_embedder()
    emails = [turn.text for turn in turns(max(20, args.messages // 10), 0, args.seed, long=True)]
    results = {
        "embedder": embedder.model_id if embedder else reason,
        "messages": args.messages,
        "classifier": classifier_latency(_messages(args.messages, args.seed), emails, embedder),
        "signal_set": signal_set_latency(args.messages, args.seed, embedder),
        "training": {} if args.skip_training else training(
            embedder, args.data_dir, args.skip_10k
        ),
    }  # fmt: skip
    if args.json:
        print(json.dumps(results, indent=2))
        return
    _report(results)


if __name__ == "__main__":
    main()
