"""The company's categories (a YAML file) and a keyword classifier over them.

The keyword matcher is the honest first version: each category lists words and phrases that
name it, and the category with the most matches wins. A trained classifier over the same
file's examples replaces it without changing the ``CategorySignal`` it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from relaydesk.signals.types import CategorySignal

UNKNOWN = CategorySignal(name="unknown", confidence=0.0)


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    pattern: re.Pattern[str]


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(k.lower()) for k in keywords), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


def load_categories(path: Path) -> tuple[Category, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    categories = []
    for entry in raw["categories"]:
        keywords = tuple(str(k) for k in entry.get("keywords", ()))
        if not keywords:
            raise ValueError(f"{path}: category {entry['name']!r} has no keywords")
        categories.append(
            Category(
                name=str(entry["name"]),
                description=str(entry.get("description", "")),
                keywords=keywords,
                examples=tuple(str(e) for e in entry.get("examples", ())),
                pattern=_keyword_pattern(keywords),
            )
        )
    return tuple(categories)


def category_names(path: Path) -> list[str]:
    return [category.name for category in load_categories(path)]


def classify(text: str, categories: tuple[Category, ...]) -> CategorySignal:
    """The category with the most keyword matches; confidence is its share of all matches."""
    lowered = text.lower()
    scored = []
    for category in categories:
        hits = tuple(dict.fromkeys(m.group(0) for m in category.pattern.finditer(lowered)))
        if hits:
            scored.append((len(hits), category, hits))
    if not scored:
        return UNKNOWN
    scored.sort(key=lambda item: item[0], reverse=True)
    best_hits, best, evidence = scored[0]
    total = sum(hits for hits, _, _ in scored)
    # +0.5 keeps a single keyword from claiming full confidence.
    confidence = round(best_hits / (total + 0.5), 3)
    return CategorySignal(name=best.name, confidence=confidence, evidence=evidence)
