"""Benchmark of the signals for one message: latency per message, p50 and p99, once loaded.

    python bench/signals_detect.py [--messages N] [--history H] [--seed S] [--json]

Each part of the signal set is timed on its own, then ``detect_signals`` as the path calls it.
Messages are the demo's sample messages plus seeded variants (shouting, typos) — "chat" — and,
timed apart, the same repeated to email length (2,000-4,000 characters) — "email" —
each inside a conversation of H earlier messages that alternate customer and AI, so frustration's
trend and repeat-ask do their real work. Requirement for the whole signal set: p99 < 5 ms.

Parts:
- requests     human / manager / legal / urgency (normalisation + patterns)
- frustration  per message + conversation features + trend
- repeat_ask   lexical (no embedder)
- all          ``detect_signals`` (also the category)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import CustomerContext, HistoryEntry, Turn
from relaydesk.signals.categories import load_categories
from relaydesk.signals.detect import detect_signals
from relaydesk.signals.frustration import frustration
from relaydesk.signals.repeat import repeat_ask
from relaydesk.signals.requests import requests

DEMO = Path(__file__).resolve().parent.parent / "relaydesk" / "demo"
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
            # earlier messages repeat, as they do turn after turn of one conversation.
            message_id=i, conversation_id=f"c{i}",
            text=f"{_variant(rng.choice(base), rng, long)} (order SR-{rng.randrange(10**6)})",
            channel="web", customer=CustomerContext(id="bench"), history=tuple(earlier),
        ))  # fmt: skip
    return built


def _time(work: Callable[[Turn], object], sample: list[Turn]) -> dict[str, float]:
    for turn in sample[:50]:
        work(turn)  # warm caches and lazy loads (VADER's lexicon)
    elapsed, cpu = [], []
    for turn in sample:
        start, start_cpu = time.perf_counter(), time.thread_time()
        work(turn)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        elapsed.append((time.perf_counter() - start) * 1000)
    elapsed.sort()
    cpu.sort()
    # Wall time includes waiting for a core on a busy machine; CPU time is the work itself.
    return {
        "p50_ms": round(statistics.median(elapsed), 3),
        "p99_ms": round(elapsed[int(len(elapsed) * 0.99) - 1], 3),
        "max_ms": round(elapsed[-1], 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": round(cpu[int(len(cpu) * 0.99) - 1], 3),
    }


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
            _clear_caches()
            results.setdefault(kind, {})[name] = _time(work, sample)
    if args.json:
        print(json.dumps({"messages": args.messages, "history": args.history, **results}))
        return
    for kind, figures_by_part in results.items():
        print(f"{kind}: {len(samples[kind])} messages, {args.history} earlier messages each")
        for name, figures in figures_by_part.items():
            print(f"  {name:<12} p50 {figures['p50_ms']:.3f} ms   p99 {figures['p99_ms']:.3f} ms"
                  f"   max {figures['max_ms']:.3f} ms   (CPU p50 {figures['cpu_p50_ms']:.3f}, "
                  f"p99 {figures['cpu_p99_ms']:.3f} ms)")  # fmt: skip


def _clear_caches() -> None:
    from relaydesk.signals import frustration as frustration_module
    from relaydesk.signals import normalise, repeat

    normalise.correct.cache_clear()
    normalise._canonical.cache_clear()
    normalise._normalise.cache_clear()
    frustration_module._message_features.cache_clear()
    frustration_module.negativity.cache_clear()
    repeat.content_words.cache_clear()


if __name__ == "__main__":
    main()
