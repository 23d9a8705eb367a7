"""Reading articles from Markdown, HTML, JSON and JSONL: good files, and bad ones named by line."""

from __future__ import annotations

import json
from pathlib import Path

from relaydesk.knowledge.importers import files_under, read_file

MARKDOWN = """---
id: kb-returns
title: Returns
category: returns
url: https://help.example/returns
---
## Window
You have 30 days to return unworn shoes.
"""


def read(path: Path, root: Path | None = None):  # type: ignore[no-untyped-def]
    return read_file(path, root or path.parent)


def test_markdown_with_front_matter(tmp_path: Path) -> None:
    (tmp_path / "returns.md").write_text(MARKDOWN)
    result = read(tmp_path / "returns.md")
    assert not result.problems
    article = result.articles[0].article
    assert (article.id, article.title, article.category) == ("kb-returns", "Returns", "returns")
    assert article.url == "https://help.example/returns"
    assert article.body.startswith("## Window")


def test_markdown_without_front_matter_takes_its_path_and_heading(tmp_path: Path) -> None:
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "gift-cards.md").write_text("# Gift cards\n\nThey never expire.\n")
    files, problems = files_under([tmp_path])
    assert not problems
    [(file, root)] = files
    article = read(file, root).articles[0].article
    assert (article.id, article.title) == ("guides/gift-cards", "Gift cards")
    assert article.body == "They never expire."


def test_html_keeps_headings_and_drops_scripts(tmp_path: Path) -> None:
    page = """<html><head><title>Shipping times</title>
    <meta name="relaydesk:id" content="kb-shipping">
    <meta name="relaydesk:category" content="shipping">
    <link rel="canonical" href="https://help.example/shipping"><script>var x = 1;</script></head>
    <body><nav>Home | Help</nav><h1>Shipping times</h1><p>We ship in <b>2 days</b>.</p>
    <h2>Express</h2><ul><li>Next day in the US</li><li>Two days in Canada</li></ul></body></html>"""
    (tmp_path / "shipping.html").write_text(page)
    article = read(tmp_path / "shipping.html").articles[0].article
    assert (article.id, article.title, article.category) == (
        "kb-shipping",
        "Shipping times",
        "shipping",
    )
    assert article.url == "https://help.example/shipping"
    assert article.body == (
        "We ship in 2 days.\n\n## Express\n\n- Next day in the US\n\n- Two days in Canada"
    )
    assert "var x" not in article.body
    assert "Home" not in article.body


def test_json_list_and_single_object(tmp_path: Path) -> None:
    records = [
        {"id": "a", "title": "A", "content": "Alpha text."},
        {"id": "b", "title": "B", "content": "Beta text.", "url": "https://x/b", "category": "c"},
    ]
    (tmp_path / "many.json").write_text(json.dumps(records, indent=2))
    (tmp_path / "one.json").write_text(json.dumps({"id": "c", "title": "C", "content": "Gamma."}))
    (tmp_path / "wrapped.json").write_text(json.dumps({"articles": records[:1]}))
    assert [a.article.id for a in read(tmp_path / "many.json").articles] == ["a", "b"]
    assert read(tmp_path / "many.json").articles[1].source.endswith("many.json:7")
    assert [a.article.id for a in read(tmp_path / "one.json").articles] == ["c"]
    assert [a.article.id for a in read(tmp_path / "wrapped.json").articles] == ["a"]


def test_a_bad_record_is_named_by_line_and_the_rest_is_read(tmp_path: Path) -> None:
    records = [
        {"id": "a", "title": "A", "content": "Alpha."},
        {"id": "b", "content": "No title."},
        {"id": "c", "title": "C", "content": "Gamma."},
        {"id": ["not", "a", "string"], "title": "D", "content": "Delta."},
    ]
    path = tmp_path / "kb.json"
    path.write_text(json.dumps(records, indent=2))
    result = read(path)
    assert [a.article.id for a in result.articles] == ["a", "c"]
    assert [str(p) for p in result.problems] == [
        f"{path}:7: missing title",
        f"{path}:16: id must be a string, got a list",
    ]


def test_jsonl_names_the_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text(
        '{"id": "a", "title": "A", "content": "Alpha."}\n'
        '{"id": "b", "title": "B", "content": "Beta.\n'
        "\n"
        '{"id": "c", "title": "C", "content": ""}\n'
        '{"id": "d", "title": "D", "content": "Delta."}\n'
    )
    result = read(path)
    assert [a.article.id for a in result.articles] == ["a", "d"]
    assert [p.source for p in result.problems] == [f"{path}:2", f"{path}:4"]
    assert "not valid JSON" in result.problems[0].message
    assert result.problems[1].message == "missing content"


def test_broken_json_and_yaml_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('[\n  {"id": "a",\n   "title": }\n]')
    (tmp_path / "broken.md").write_text("---\nid: x\ntitle: [unclosed\n---\nBody.\n")
    json_problem = read(tmp_path / "broken.json").problems[0]
    yaml_problem = read(tmp_path / "broken.md").problems[0]
    assert json_problem.source == f"{tmp_path / 'broken.json'}:3"
    assert yaml_problem.source.startswith(f"{tmp_path / 'broken.md'}:")
    assert "front matter is not valid YAML" in yaml_problem.message


def test_control_characters_and_oversized_fields_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text(
        json.dumps({"id": "a", "title": "A\u0000", "content": "x"}) + "\n"
        + json.dumps({"id": "b" * 201, "title": "B", "content": "x"}) + "\n"
        + json.dumps({"id": True, "title": "B", "content": "x"}) + "\n"
    )  # fmt: skip
    messages = [p.message for p in read(path).problems]
    assert messages == [
        "title contains a control character or an invalid code point",
        "id is longer than 200 characters",
        "id must be a string, got true/false",
    ]


def test_unknown_files_and_missing_paths_are_problems(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    files, problems = files_under([tmp_path / "notes.txt", tmp_path / "missing"])
    assert files == []
    assert next(p.message for p in problems).startswith("unknown file type")
    assert problems[1].message == "no such file or folder"
    assert "not UTF-8" in read(tmp_path / "latin1.md").problems[0].message
