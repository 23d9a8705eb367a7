"""How the default path routes the demo's sample messages, against the route a careful team
would want (`expect` in relaydesk/demo/sample_messages.jsonl). Not a test oracle: a readout.

Run: python bench/demo_routing.py [--show-misses]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

from relaydesk.conversations.turn import CustomerContext, Turn
from relaydesk.pipeline import run
from relaydesk.policy import Route
from relaydesk.settings import DEMO_DIR, Settings
from relaydesk.startup import load_parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-misses", action="store_true")
    show_misses = parser.parse_args().show_misses
    parts = load_parts(Settings())
    lines = (DEMO_DIR / "sample_messages.jsonl").read_text("utf-8").splitlines()
    table: Counter[tuple[str, str]] = Counter()
    for number, line in enumerate(lines, start=1):
        sample = json.loads(line)
        turn = Turn(
            message_id=number,
            conversation_id="demo",
            text=sample["text"],
            channel="web",
            customer=CustomerContext(id="demo"),
        )
        decision = run(turn, parts).decision
        got = "ai" if decision.route == Route.AI_REPLY else "human"
        table[(sample["expect"], got)] += 1
        if show_misses and got != sample["expect"]:
            print(f"expected {sample['expect']:5} got {got:5} {sample['text'][:70]!r}")
            print(f"    {decision.reasons[0]}")
    print(f"{len(lines)} sample messages; rows: what a careful team wants, columns: the route")
    print(f"{'':>14}{'ai':>6}{'human':>7}")
    for expect in ("ai", "human"):
        print(f"{'want ' + expect:>14}{table[(expect, 'ai')]:>6}{table[(expect, 'human')]:>7}")
    agree = table[("ai", "ai")] + table[("human", "human")]
    print(f"agreement {agree}/{len(lines)}; sent to AI when a person was wanted: "
          f"{table[('human', 'ai')]}")  # fmt: skip


if __name__ == "__main__":
    main()
