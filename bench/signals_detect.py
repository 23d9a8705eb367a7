"""Benchmark of the signals for one message: latency per message, p50 and p99, once loaded.

    python bench/signals_detect.py [--messages N] [--history H] [--seed S] [--json]

Each part of the signal set is timed on its own, then ``detect_signals`` as the path calls it.
Messages are the demo's sample messages plus seeded variants (shouting, typos) — "chat" — and,
timed apart, the same repeated to email length (2,000-4,000 characters) — "email" —
each inside a conversation of H earlier messages that alternate customer and AI, so frustration's
trend and repeat-ask do their real work. Requirement for the whole signal set: p99 < 5 ms.
Per-text caches are emptied before each part. The set with the trained classifier and the
sentence embedder is timed by ``bench/signals.py``.

Parts:
- requests     human / manager / legal / urgency (normalisation + patterns)
- frustration  per message + conversation features + trend
- repeat_ask   lexical (no embedder)
- all          ``detect_signals`` (also the category)
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import CustomerContext, HistoryEntry, Turn
from relaydesk.signals.categories import load_categories
from relaydesk.signals.detect import detect_signals
from relaydesk.signals.frustration import frustration
from relaydesk.signals.repeat import repeat_ask
from relaydesk.signals.requests import requests

DEMO = Path(__file__).resolve().parent.parent / "relaydesk" / "demo"
T = TypeVar("T")
AI_REPLIES = (
    "I'm sorry, I couldn't find anything about that. Could you tell me your order number?",
    "Refunds take 5-10 business days to reach your card after we receive the return.",
    "You can reset your password from the login page: choose 'Forgot password'.",
)


def _messages() -> list[str]:
    lines = (DEMO / "sample_messages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _variant(text: str, rng: random.Random, long: bool) -> str:
    if long:  # an email: 2,000-4,000 characters
        return (text + " ") * (rng.randint(2000, 4000) // (len(text) + 1) + 1)
    kind = rng.randrange(3)
    if kind == 1:
        return text.upper() + "!!"
    if kind == 2:
        i = rng.randrange(max(1, len(text) - 1))
        return text[:i] + text[i + 1 :]  # a dropped letter
    return text


def turns(count: int, history: int, seed: int, long: bool = False) -> list[Turn]:
    rng = random.Random(seed)
    base = _messages()
    built = []
    for i in range(count):
        earlier = []
        for j in range(history):
            if j % 2 == 0:
                earlier.append(HistoryEntry(source=Source.CUSTOMER, text=rng.choice(base)))
            else:
                earlier.append(HistoryEntry(source=Source.AI_AGENT, text=rng.choice(AI_REPLIES)))
        built.append(Turn(
            # A new order number makes every message new to the caches, as in production;
            # earlier messages repeat, as they do turn after turn of one conversation. It
            # comes first: the embedder reads an email's first 256 tokens only.
            message_id=i, conversation_id=f"c{i}",
            text=f"(order SR-{rng.randrange(10**6)}) {_variant(rng.choice(base), rng, long)}",
            channel="web", customer=CustomerContext(id="bench"), history=tuple(earlier),
        ))  # fmt: skip
    return built


def figures(elapsed: list[float], cpu: list[float]) -> dict[str, float]:
    """p50 and p99 (nearest rank) of wall and CPU milliseconds. Wall time includes waiting
    for a core on a busy machine; CPU time (this thread's) is the work itself."""
    elapsed, cpu = sorted(elapsed), sorted(cpu)
    rank = max(0, math.ceil(0.99 * len(elapsed)) - 1)
    return {
        "p50_ms": round(statistics.median(elapsed), 3),
        "p99_ms": round(elapsed[rank], 3),
        "max_ms": round(elapsed[-1], 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": round(cpu[rank], 3),
    }


def time_each(work: Callable[[T], object], sample: Sequence[T], warm: int = 50) -> dict[str, float]:
    for item in sample[:warm]:
        work(item)  # warm caches and lazy loads (VADER's lexicon)
    elapsed, cpu = [], []
    for item in sample:
        start, start_cpu = time.perf_counter(), time.thread_time()
        work(item)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        elapsed.append((time.perf_counter() - start) * 1000)
    return figures(elapsed, cpu)


def print_row(name: str, found: dict[str, float]) -> None:
    print(f"  {name:<28} p50 {found['p50_ms']:7.3f} ms   p99 {found['p99_ms']:7.3f} ms   "
          f"max {found['max_ms']:7.3f} ms   (CPU p50 {found['cpu_p50_ms']:.3f}, "
          f"p99 {found['cpu_p99_ms']:.3f} ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--history", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    categories = load_categories(DEMO / "categories.yaml")
    samples = {
        "chat": turns(args.messages, args.history, args.seed),
        "email": turns(args.messages // 5, args.history, args.seed, long=True),
    }
    parts: dict[str, Callable[[Turn], object]] = {
        "requests": lambda t: requests(t.text),
        "frustration": frustration,
        "repeat_ask": repeat_ask,
        "all": lambda t: detect_signals(t, categories),
    }
    # Caches are keyed by text: clear them so repeated sample texts are not free.
    results: dict[str, dict[str, dict[str, float]]] = {}
    for kind, sample in samples.items():
        for name, work in parts.items():
            clear_caches()
            results.setdefault(kind, {})[name] = time_each(work, sample)
    if args.json:
        print(json.dumps({"messages": args.messages, "history": args.history, **results}))
        return
    for kind, figures_by_part in results.items():
        print(f"{kind}: {len(samples[kind])} messages, {args.history} earlier messages each")
        for name, found in figures_by_part.items():
            print_row(name, found)


def clear_caches() -> None:
    """Empty every per-text cache of the signal modules (not one-off loads like VADER's
    lexicon, whose caches hold a single entry), whatever the modules name them."""
    from relaydesk.signals import categories, detect, frustration, normalise, repeat, requests

    for module in (categories, detect, frustration, normalise, repeat, requests):
        for value in vars(module).values():
            info = getattr(value, "cache_info", None)
            if info is not None and (info().maxsize or 2) > 1:
                value.cache_clear()


if __name__ == "__main__":
    main()
