"""Reading articles from files: Markdown folders, HTML pages, and JSON / JSONL records.

Every problem names its file and line, and one bad article never stops the others: ``read``
returns what it could read and what it could not, and the caller stores the first.

- Markdown (``.md``, ``.markdown``): optional YAML front matter (``id, title, category, url``);
  without it the id is the file's path under the folder and the title its first ``#`` heading.
- HTML (``.html``, ``.htm``): the title is ``<title>`` or the first ``<h1>``; headings, paragraphs
  and list items become Markdown, so passages keep their headings. ``<meta name="relaydesk:id">``,
  ``relaydesk:category`` and ``<link rel="canonical">`` fill the rest.
- JSON (``.json``): one article object, a list of them, or ``{"articles": [...]}``.
- JSONL (``.jsonl``): one article object a line.
A record has ``id, title, content`` (or ``body``) and optional ``url, category``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from relaydesk.knowledge.articles import Article
from relaydesk.knowledge.models import MAX_ARTICLE_ID

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
SUFFIXES |= {".json": "json", ".jsonl": "jsonl"}
MAX_TITLE = 500
MAX_BODY_CHARS = 1_000_000  # a help article, not a manual: split bigger documents
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_ARTICLES_KEY = re.compile(r'"articles"\s*:\s*(?=\[)')
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


@dataclass(frozen=True)
class SourcedArticle:
    article: Article
    source: str  # "path" or "path:line", stored with the version


@dataclass(frozen=True)
class ImportProblem:
    source: str  # "path:line" (line 1 when the whole file is at fault)
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class InvalidArticle(ValueError):
    pass


@dataclass
class ReadResult:
    articles: list[SourcedArticle]
    problems: list[ImportProblem]


def files_under(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[ImportProblem]]:
    """Every importable file with the folder it was found under (ids are relative to it)."""
    found: list[tuple[Path, Path]] = []
    problems: list[ImportProblem] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                (file, path)
                for file in sorted(path.rglob("*"))
                if file.is_file() and file.suffix.lower() in SUFFIXES
            )
        elif path.is_file() and path.suffix.lower() in SUFFIXES:
            found.append((path, path.parent))
        elif path.is_file():
            kinds = ", ".join(sorted(SUFFIXES))
            problems.append(ImportProblem(f"{path}:1", f"unknown file type (one of {kinds})"))
        else:
            problems.append(ImportProblem(str(path), "no such file or folder"))
    return found, problems


def read_file(file: Path, root: Path) -> ReadResult:
    try:
        text = file.read_text("utf-8")
    except UnicodeDecodeError as error:
        return ReadResult([], [ImportProblem(f"{file}:1", f"not UTF-8 text ({error.reason})")])
    except OSError as error:
        return ReadResult([], [ImportProblem(f"{file}:1", f"cannot read: {error.strerror}")])
    kind = SUFFIXES[file.suffix.lower()]
    if kind in ("json", "jsonl"):
        return read_records(text, str(file), lines=kind == "jsonl")
    try:
        if kind == "markdown":
            article = parse_markdown_file(text, file, root)
        else:
            article = parse_html(text, file, root)
    except InvalidArticle as error:
        return ReadResult([], [ImportProblem(_at(file, error), str(error))])
    return ReadResult([SourcedArticle(article, str(file))], [])


def _at(file: Path, error: InvalidArticle) -> str:
    line = getattr(error, "line", 1)
    return f"{file}:{line}"


def _invalid(message: str, line: int = 1) -> InvalidArticle:
    error = InvalidArticle(message)
    error.line = line  # type: ignore[attr-defined]
    return error


def path_id(file: Path, root: Path) -> str:
    """``guides/returns.md`` → ``guides/returns``: stable across re-imports of the folder."""
    return file.relative_to(root).with_suffix("").as_posix()


def parse_markdown_file(text: str, file: Path, root: Path) -> Article:
    meta: dict[str, Any] = {}
    body = text
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 2 if mark is not None else 1  # +1 for the '---' line
            raise _invalid(f"front matter is not valid YAML: {error}", line) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise _invalid("front matter must be a mapping of keys to values", 2)
        meta = loaded or {}
        body = text[match.end() :]
    title = meta.get("title")
    if not title:
        heading = _H1.search(body)
        title = heading.group(1) if heading else file.stem.replace("-", " ").replace("_", " ")
        if heading:  # the heading is the title now; keep it out of the first passage
            body = body[: heading.start()] + body[heading.end() :]
    record = {**meta, "id": meta.get("id") or path_id(file, root), "title": title, "body": body}
    return article_from_record(record)


class _HtmlToMarkdown(HTMLParser):
    """Keeps what a passage needs: headings, paragraphs, list items; drops scripts and styles."""

    BLOCKS = frozenset("p div li br tr section article h1 h2 h3 h4 h5 h6 ul ol table".split())
    SKIP = frozenset({"script", "style", "noscript", "nav", "footer", "header", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.prefix = ""
        self.skipping = 0
        self.in_title = False
        self.title = ""
        self.first_h1 = ""
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "meta" and values.get("name", "").startswith("relaydesk:"):
            self.meta[values["name"].removeprefix("relaydesk:")] = values.get("content", "")
        elif tag == "link" and values.get("rel") == "canonical":
            self.meta.setdefault("url", values.get("href", ""))
        elif tag in self.BLOCKS:
            self._flush()
            level = int(tag[1]) if re.fullmatch(r"h[1-6]", tag) else 0
            self.prefix = "#" * min(level, 3) + " " if level else ("- " if tag == "li" else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "title":
            self.in_title = False
        elif tag in self.BLOCKS:
            if tag == "h1" and not self.first_h1:
                self.first_h1 = " ".join("".join(self.current).split())
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skipping:
            self.current.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.lines.append(self.prefix + text)
        self.current, self.prefix = [], ""

    def markdown(self) -> str:
        self._flush()
        return "\n\n".join(self.lines)


def parse_html(text: str, file: Path, root: Path) -> Article:
    parser = _HtmlToMarkdown()
    parser.feed(text)
    parser.close()
    body = parser.markdown()
    title = " ".join(parser.title.split()) or parser.first_h1
    if parser.first_h1 and body.startswith(f"# {parser.first_h1}"):
        body = body.removeprefix(f"# {parser.first_h1}").lstrip()
    record = {
        "id": parser.meta.get("id") or path_id(file, root),
        "title": title or file.stem,
        "body": body,
        "category": parser.meta.get("category") or None,
        "url": parser.meta.get("url") or None,
    }
    return article_from_record(record)


def read_records(text: str, origin: str, lines: bool) -> ReadResult:
    result = ReadResult([], [])
    for line, record in _records(text, lines, result, origin):
        try:
            article = article_from_record(record)
        except InvalidArticle as error:
            result.problems.append(ImportProblem(f"{origin}:{line}", str(error)))
            continue
        result.articles.append(SourcedArticle(article, f"{origin}:{line}"))
    return result


def _records(text: str, lines: bool, result: ReadResult, origin: str) -> Iterator[tuple[int, Any]]:
    """(line, decoded value) per record; undecodable records are added to the problems."""
    if lines:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                message = f"not valid JSON: {error.msg} (column {error.colno})"
                result.problems.append(ImportProblem(f"{origin}:{number}", message))
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} (column {error.colno}); nothing read from it"
        result.problems.append(ImportProblem(f"{origin}:{error.lineno}", message))
        return
    start = 0
    if isinstance(document, dict) and isinstance(document.get("articles"), list):
        document = document["articles"]
        start = _ARTICLES_KEY.search(text).end()  # type: ignore[union-attr]
    if not isinstance(document, list):
        yield 1, document
        return
    yield from zip(_element_lines(text, text.index("[", start) + 1), document, strict=False)


def _element_lines(text: str, position: int) -> Iterator[int]:
    """The line on which each element of a valid JSON array (starting at ``position``) starts."""
    decoder = json.JSONDecoder()
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return
        yield text.count("\n", 0, position) + 1
        _, position = decoder.raw_decode(text, position)


def article_from_record(record: Any) -> Article:
    """An article from a decoded record, or ``InvalidArticle`` saying exactly what is wrong."""
    if not isinstance(record, dict):
        raise _invalid(f"expected an object with id, title and content, got {_kind(record)}")
    body = record.get("content", record.get("body"))
    fields = {"id": record.get("id"), "title": record.get("title"), "content": body}
    missing = [name for name, value in fields.items() if value is None or value == ""]
    if missing:
        raise _invalid(f"missing {', '.join(missing)}")
    for name in ("id", "title", "content", "url", "category"):
        value = fields.get(name, record.get(name))
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
            raise _invalid(f"{name} must be a string, got {_kind(value)}")
        if isinstance(value, str) and _CONTROL.search(value):
            raise _invalid(f"{name} contains a control character or an invalid code point")
    article_id = str(record["id"]).strip()
    title = str(record["title"]).strip()
    text = str(body).strip()
    if len(article_id) > MAX_ARTICLE_ID:
        raise _invalid(f"id is longer than {MAX_ARTICLE_ID} characters")
    if len(title) > MAX_TITLE:
        raise _invalid(f"title is longer than {MAX_TITLE} characters")
    if len(text) > MAX_BODY_CHARS:
        raise _invalid(f"content is longer than {MAX_BODY_CHARS:,} characters: split the article")
    if not text:
        raise _invalid("content is empty")
    return Article(
        id=article_id,
        title=title,
        body=text,
        category=_optional(record.get("category"), 100, "category"),
        url=_optional(record.get("url"), 2000, "url"),
    )


def _optional(value: Any, limit: int, name: str) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise _invalid(f"{name} is longer than {limit} characters")
    return text


def _kind(value: Any) -> str:
    return {list: "a list", dict: "an object", bool: "true/false", float: "a number"}.get(
        type(value), type(value).__name__
    )
