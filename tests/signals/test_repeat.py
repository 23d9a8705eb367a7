from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from factories import turn
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.conversations.models import Source
from relaydesk.signals.repeat import SEMANTIC_ASKS, repeat_ask, similarity, stem

ASK = "how long do refunds take to arrive"
ANSWER = "Refunds take 5-10 business days."


def test_counts_only_asks_the_ai_answered() -> None:
    assert repeat_ask(turn(ASK, (Source.CUSTOMER, ASK))).count == 0
    twice = turn(ASK, (Source.CUSTOMER, ASK), (Source.AI_AGENT, ANSWER),
                 (Source.CUSTOMER, "How long do refunds take to arrive??"),
                 (Source.AI_AGENT, ANSWER))  # fmt: skip
    found = repeat_ask(twice)
    assert found.count == 2
    assert found.score == 1.0
    assert found.evidence[0].startswith("How long")


def test_typos_and_case_still_match() -> None:
    assert similarity("HOW LONG DO REFUNDS TAKE", "how long do refunds take?") == 1.0
    assert similarity("where is my order", "what is your returns policy") < 0.6


def test_a_different_ask_is_not_a_repeat() -> None:
    other = turn("can I change my delivery address", (Source.CUSTOMER, ASK),
                 (Source.AI_AGENT, ANSWER))  # fmt: skip
    assert repeat_ask(other).count == 0


def test_embeddings_add_paraphrases() -> None:
    def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        # A fake model: every text about money coming back is the same point.
        return np.array([[1.0, 0.0] if "refund" in t or "money" in t else [0.0, 1.0]
                         for t in texts], dtype=np.float32)  # fmt: skip

    paraphrase = turn("has my money come back yet", (Source.CUSTOMER, "where is my refund"),
                      (Source.AI_AGENT, ANSWER))  # fmt: skip
    assert repeat_ask(paraphrase).count == 0
    assert repeat_ask(paraphrase, embed).count == 1


def test_empty_and_non_text() -> None:
    assert repeat_ask(turn("", (Source.CUSTOMER, ASK), (Source.AI_AGENT, ANSWER))).count == 0
    assert repeat_ask(turn("?!", (Source.CUSTOMER, "?!"), (Source.AI_AGENT, ANSWER))).count == 0


def test_only_the_newest_asks_are_compared_by_meaning() -> None:
    compared: list[str] = []

    def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        compared.extend(texts[1:])
        return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)  # all the same meaning

    history = []
    for i in range(SEMANTIC_ASKS + 3):
        history += [
            (Source.CUSTOMER, f"question number {i} about topic{i}"),
            (Source.AI_AGENT, ANSWER),
        ]
    found = repeat_ask(turn("something else entirely", *history), embed)
    newest = [f"question number {i} about topic{i}" for i in reversed(range(3, SEMANTIC_ASKS + 3))]
    assert compared == newest
    assert found.count == SEMANTIC_ASKS


@settings(max_examples=400, deadline=None, derandomize=True)
@given(word=st.text(alphabet="abdeginrsu'", max_size=10))
def test_stem_strips_what_the_suffix_regex_would(word: str) -> None:
    # The regex it replaced on the hot path: the leftmost suffix match that ends the word.
    assert stem(word) == re.sub(r"(?:ing|ed|es|s)$", "", word)


def test_stem_reads_a_word_family_as_one() -> None:
    assert {stem(w) for w in ("refunds", "refunded", "refunding")} == {"refund"}
    assert stem("charges") == "charg"
    assert stem("class") == "clas"
