from __future__ import annotations

from factories import turn

from relaydesk.handoff.compose import quote_ask
from relaydesk.pipeline import Parts, run


def test_quotes_the_customers_question() -> None:
    text = "Hi there. Can I return shoes I bought on clearance? They're a bit tight."
    assert quote_ask(text) == "Can I return shoes I bought on clearance?"


def test_long_asks_are_trimmed_at_a_word() -> None:
    quoted = quote_ask("word " * 100)
    assert len(quoted) <= 140
    assert quoted.endswith("word…")


def test_handoff_names_the_ask_the_team_and_only_articles_really_read(parts: Parts) -> None:
    outcome = run(turn("I want to close my account, how do I do it?"), parts)
    assert outcome.handoff is not None
    text = outcome.handoff.text
    assert '"I want to close my account, how do I do it?"' in text
    assert "specialists team" in text
    assert "won't need to repeat" in text
    read = {p.article.title for p in parts.knowledge.passages}
    assert outcome.handoff.checked
    assert set(outcome.handoff.checked) <= read
    assert "minutes" not in text  # no wait is promised before the queue can estimate one


def test_frustrated_customers_hear_an_apology_first(parts: Parts) -> None:
    outcome = run(turn("This is RIDICULOUS, useless, worst service!! get me a human"), parts)
    assert outcome.handoff is not None
    assert outcome.handoff.text.startswith("I'm sorry")
