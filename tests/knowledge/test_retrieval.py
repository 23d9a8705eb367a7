from __future__ import annotations

from pathlib import Path

import pytest
from factories import turn

from relaydesk.knowledge import KnowledgeIndex, load_markdown_dir
from relaydesk.knowledge.articles import parse_markdown, split_passages
from relaydesk.pipeline import Parts
from relaydesk.resolver import attempt_answer
from relaydesk.signals import detect_signals

ARTICLE = """---
id: kb-1
title: Returns
category: returns
url: https://example.com/returns
---
Intro line.

## Window
You have 30 days to return unworn shoes.

## Final sale
Final-sale items cannot be returned. They can be refunded if faulty.
"""


def test_articles_are_cut_into_passages_at_headings() -> None:
    article = parse_markdown(ARTICLE, "returns.md")
    passages = split_passages(article)
    assert [p.heading for p in passages] == ["Returns", "Window", "Final sale"]
    assert passages[2].text.startswith("Final-sale items")


def test_version_changes_with_content() -> None:
    article = parse_markdown(ARTICLE, "a.md")
    edited = parse_markdown(ARTICLE.replace("30 days", "14 days"), "a.md")
    assert article.content_hash != edited.content_hash


def test_front_matter_is_required() -> None:
    with pytest.raises(ValueError, match="front matter"):
        parse_markdown("# no front matter", "bad.md")


def test_search_ranks_the_passage_that_answers_first(tmp_path: Path) -> None:
    (tmp_path / "returns.md").write_text(ARTICLE)
    index = KnowledgeIndex(load_markdown_dir(tmp_path))
    hits = index.search("can I return final sale items?")
    assert hits[0].passage.heading == "Final sale"
    assert hits[0].coverage > 0.5
    assert index.search("zebra quantum weather") == []


def test_answers_only_with_sentences_of_the_cited_passage(parts: Parts) -> None:
    question = turn("How do I reset my password?")
    attempt = attempt_answer(question, detect_signals(question, parts.categories), parts.knowledge)
    assert attempt.has_answer
    assert attempt.citations[0].article_id == "kb-reset-password"
    cited = next(p for p in parts.knowledge.passages if p.heading == attempt.citations[0].heading)
    assert attempt.answer is not None
    for sentence in attempt.answer.split(". "):
        assert sentence.rstrip(".") in cited.text


def test_says_it_has_no_answer_rather_than_guessing(parts: Parts) -> None:
    question = turn("What is the airspeed velocity of an unladen swallow?")
    attempt = attempt_answer(question, detect_signals(question, parts.categories), parts.knowledge)
    assert not attempt.has_answer
    assert attempt.answer is None
    assert attempt.citations == ()
