"""The prefilter only ever skips patterns that could not match: checked on strings drawn from
every shipped ask and frustration pattern itself."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relaydesk.signals import frustration
from relaydesk.signals.ask_patterns import (
    HUMAN_PATTERNS,
    LEGAL_PATTERNS,
    MANAGER_PATTERNS,
    URGENCY_PATTERNS,
)
from relaydesk.signals.prefilter import Guarded, guarded, passes, required
from relaydesk.signals.requests import requests

PATTERNS = (*HUMAN_PATTERNS, *MANAGER_PATTERNS, *LEGAL_PATTERNS, *URGENCY_PATTERNS)
GUARDED = {name: v for name, v in vars(frustration).items() if isinstance(v, Guarded)}


def test_literals_alternations_and_repeats() -> None:
    assert required(r"(?:talk|talking) to (?:a )?(?:human|person)s?\b") == (
        frozenset({"talk"}),
        frozenset({" to "}),
        frozenset({"human", "person"}),
    )
    assert required(r"(?:lawyer)+") == (frozenset({"lawyer"}),)
    # Nothing is certain in an optional part, or in an alternation with an empty branch.
    assert required(r"(?:lawyer)?") == ()
    assert required(r"(?:urgent|)") == ()
    # Short literals tell nothing: "to" is in nearly every text.
    assert required(r"to") == ()


@pytest.mark.parametrize("source", [r"(?i)lawyer", r"(?i:lawyer)", r"[a-z]+", r"lawyer[", r"l\w+r"])
def test_what_it_cannot_follow_adds_no_clause(source: str) -> None:
    # Case-insensitive parts match "LAWYER", classes match anything, a broken pattern nothing.
    assert required(source) == ()


def test_lookarounds_are_skipped_but_the_literals_beside_them_kept() -> None:
    assert required(r"(?<!no )lawyer\b(?! joke)") == (frozenset({"lawyer"}),)


def test_passes_needs_one_substring_of_every_clause() -> None:
    clauses = (frozenset({"talk", "speak"}), frozenset({"human", "person"}))
    assert passes(clauses, "can i speak to a person")
    assert not passes(clauses, "can i speak to the bot")
    assert passes((), "anything at all")


def test_every_shipped_pattern_has_a_clause_but_few() -> None:
    # The point is skipping scans: nearly every pattern must give the prefilter something.
    without = [p.scan.pattern[:60] for p in PATTERNS if not p.required]
    assert len(without) <= 2, without


# Every prefiltered pattern that ships: the ask detectors' and frustration's.
PREFILTERED = [(p.scan, p.required) for p in PATTERNS] + [
    (g.pattern, g.clauses) for g in GUARDED.values()
]


@pytest.mark.parametrize(("regex", "clauses"), PREFILTERED, ids=lambda v: str(v)[:40])
@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_text_a_pattern_matches_passes_its_prefilter(
    regex: re.Pattern[str], clauses: tuple[frozenset[str], ...], data: st.DataObject
) -> None:
    text = data.draw(st.from_regex(regex, fullmatch=False))
    assert regex.search(text)
    assert passes(clauses, text)


def test_a_long_message_without_the_words_is_read_the_same() -> None:
    email = "My parcel was late and the box was damaged when it came. " * 60
    found = requests(email + "Can I speak to a real person please?")
    assert found.human.value
    assert "speak to a real person" in " ".join(found.human.evidence)
    assert not requests(email).human.value


def test_frustration_words_are_prefiltered() -> None:
    # The patterns an email is scanned with are guarded (the ones that cannot be read short).
    assert {"ANGRY", "AGAIN", "PUSHBACK", "CHECKS", "CORRECTS", "THANKS"} <= set(GUARDED)
    assert all(GUARDED[name].clauses for name in ("ANGRY", "AGAIN", "PUSHBACK", "THANKS"))


def test_a_guarded_pattern_finds_what_the_pattern_finds() -> None:
    source = r"\b(?:lawyer|attorney)s?\b"
    plain, guard = re.compile(source), guarded(source)
    for text in ("my lawyers will call", "no lawyer", "nothing legal here", "attorneys, attorney"):
        assert [m.span() for m in guard.finditer(text)] == [m.span() for m in plain.finditer(text)]
        assert bool(guard.search(text)) == bool(plain.search(text))
    assert guard.search("a law yer") is None
