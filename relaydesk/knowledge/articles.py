"""Articles as Markdown files with YAML front matter, cut into passages at their headings."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
# Cuts at #, ## and ###; deeper headings stay inside their section's text.
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"((?<=[.!?:;])[ \t]+|\s*\n\s*)")
_PIECE = re.compile(r"\w+|[^\w\s]")
# MiniLM reads 256 word pieces ([CLS] and [SEP] included); the estimate leaves a margin.
WINDOW_TOKENS = 224


class Article(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    body: str
    category: str | None = None
    url: str | None = None
    # The store's revision number (1 for an article read straight from files). A citation
    # names it, with the content hash, so a decision can be traced to the exact text.
    version: int = 1

    @property
    def content_hash(self) -> str:
        """What decides whether an import changed the article (and needs re-indexing)."""
        canonical = "\x1f".join((self.title, self.body, self.category or "", self.url or ""))
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_markdown(source: str, origin: str) -> Article:
    match = _FRONT_MATTER.match(source)
    if not match:
        raise ValueError(f"{origin}: expected YAML front matter between '---' lines")
    meta = yaml.safe_load(match.group(1)) or {}
    missing = [key for key in ("id", "title") if not meta.get(key)]
    if missing:
        raise ValueError(f"{origin}: front matter lacks {', '.join(missing)}")
    return Article(
        id=str(meta["id"]),
        title=str(meta["title"]),
        body=match.group(2).strip(),
        category=meta.get("category"),
        url=meta.get("url"),
    )


def load_markdown_dir(path: Path) -> list[Article]:
    return [parse_markdown(p.read_text("utf-8"), str(p)) for p in sorted(path.glob("*.md"))]


class Passage(BaseModel):
    """One section of an article (or one window of a long section): the unit that is
    retrieved, quoted and cited."""

    model_config = ConfigDict(frozen=True)

    article: Article
    heading: str  # the innermost heading, or the title for text before the first heading
    text: str
    # Every heading above the text, outermost first (empty before the first heading).
    headings: tuple[str, ...] = ()
    window: int = 0  # which window of a section longer than the model's (0 for most)

    @property
    def search_text(self) -> str:
        """What is indexed and embedded: the text with its title and headings, so a passage
        cut from its context still says what it is about."""
        return "\n".join((self.article.title, *self.headings, self.text))


def split_passages(article: Article, max_tokens: int = WINDOW_TOKENS) -> list[Passage]:
    """One passage per ``#``/``##``/``###`` section, a section too long for the embedding
    model cut into overlapping windows at sentence ends (each keeping its headings)."""
    passages = []
    for path, text in _sections(article.body):
        # A top heading repeating the title says nothing the title does not.
        headings = tuple(h for h in path if h.casefold() != article.title.casefold())
        heading = headings[-1] if headings else article.title
        context = estimate_tokens(" ".join((article.title, *headings)))
        for number, window in enumerate(_windows(text, max(max_tokens - context, 32))):
            passages.append(
                Passage(
                    article=article, heading=heading, text=window, headings=headings, window=number
                )
            )
    return passages


def _sections(body: str) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, text) for every non-empty section; headings inside code fences are text."""
    sections: list[tuple[tuple[str, ...], str]] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False
    for line in body.splitlines():
        fenced ^= line.lstrip().startswith(("```", "~~~"))
        match = None if fenced else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        sections.append((tuple(h for _, h in path), "\n".join(lines).strip()))
        level = len(match.group(1))
        path = [*(entry for entry in path if entry[0] < level), (level, match.group(2).strip())]
        lines = []
    sections.append((tuple(h for _, h in path), "\n".join(lines).strip()))
    return [(headings, text) for headings, text in sections if text]


def estimate_tokens(text: str) -> int:
    """An upper estimate of MiniLM's word-piece count, kept independent of the tokenizer so
    chunking (and BM25-only installs) need no model; tests check it against the tokenizer."""
    return sum(_word_pieces(word) for word in _PIECE.findall(text))


def _word_pieces(word: str) -> int:
    if len(word) <= 3:
        return 1
    if any(c.isdigit() for c in word):
        return len(word)  # numbers and codes split into very short pieces
    if word.isalpha() and len(word) <= 12:
        return 1 + len(word) // 7  # a common word is one piece; rarer ones two
    return (len(word) + 2) // 3


def _windows(text: str, budget: int) -> list[str]:
    """The text in windows of at most ``budget`` estimated tokens, cut at sentence ends; each
    window after the first repeats the previous window's last sentences (up to a quarter of
    the budget) so an answer spanning the cut is whole in one of them."""
    if estimate_tokens(text) <= budget:
        return [text]
    units = [piece for s in _sentences(text) for piece in _fit(s, budget // 2)]
    windows: list[list[str]] = [[]]
    used = 0
    for unit in units:
        size = estimate_tokens(unit)
        if windows[-1] and used + size > budget:
            carried = _tail(windows[-1], budget // 4)
            windows.append(carried)
            used = sum(estimate_tokens(s) for s in carried)
        windows[-1].append(unit)
        used += size
    return ["".join(window).strip() for window in windows]


def _sentences(text: str) -> list[str]:
    """Sentences and lines, each with the space or line break that followed it."""
    parts = _SENTENCE_END.split(text)
    pieces = [
        sentence + ("\n" if "\n" in gap else " ")
        for sentence, gap in zip(parts[::2], [*parts[1::2], ""], strict=True)
    ]
    return [piece for piece in pieces if piece.strip()]


def _fit(sentence: str, budget: int) -> list[str]:
    """A sentence longer than the budget (a table row, a run-on list) cut between words."""
    words = sentence.split()
    pieces: list[list[str]] = [[]]
    used = 0
    for word in words:
        size = estimate_tokens(word)
        if pieces[-1] and used + size > budget:
            pieces.append([])
            used = 0
        pieces[-1].append(word)
        used += size
    ending = "\n" if sentence.endswith("\n") else " "
    return [" ".join(piece) + ending for piece in pieces if piece]


def _tail(sentences: list[str], budget: int) -> list[str]:
    """The last sentences of a window that fit in the overlap budget (never the whole window)."""
    kept: list[str] = []
    used = 0
    for sentence in reversed(sentences[1:]):
        used += estimate_tokens(sentence)
        if used > budget:
            break
        kept.insert(0, sentence)
    return kept
