"""Articles as Markdown files with YAML front matter, cut into passages at ``##`` headings."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
_SECTION = re.compile(r"^##\s+(.+)$", re.MULTILINE)


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


class Passage(BaseModel):
    """One section of an article: the unit that is retrieved, quoted and cited."""

    model_config = ConfigDict(frozen=True)

    article: Article
    heading: str
    text: str


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


def split_passages(article: Article) -> list[Passage]:
    """One passage per ``##`` section; text before the first heading belongs to the title."""
    parts = _SECTION.split(article.body)
    passages = []
    if parts[0].strip():
        passages.append(Passage(article=article, heading=article.title, text=parts[0].strip()))
    for heading, text in zip(parts[1::2], parts[2::2], strict=True):
        if text.strip():
            passages.append(Passage(article=article, heading=heading.strip(), text=text.strip()))
    return passages
