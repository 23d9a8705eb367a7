"""The company's categories (a YAML file) and a keyword classifier over them.

The keyword matcher is the honest first version: each category lists words and phrases that
name it, and the category with the most matches wins. A trained classifier over the same
file's examples replaces it without changing the ``CategorySignal`` it returns.

Scanning an email with each category's keyword pattern cost ~0.1 ms per category (Python's
``re`` tries every alternative at every word boundary). So a pattern is only tried where one of
its keywords can start: where the keyword's first word occurs in the text. The matches are
exactly ``pattern.finditer``'s (tests/signals/test_features_fast.py compares them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from relaydesk.signals.taxonomy import read_categories_file, string_list
from relaydesk.signals.types import CategorySignal

UNKNOWN = CategorySignal(name="unknown", confidence=0.0)


_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    pattern: re.Pattern[str]
    # The first word of each keyword (lowercased); None when a keyword does not start with a
    # word character, and the whole text is scanned.
    first_words: frozenset[str] | None = None


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(k.lower()) for k in keywords), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


def _first_words(keywords: tuple[str, ...]) -> frozenset[str] | None:
    found = [_WORD.match(keyword.lower()) for keyword in keywords]
    if not all(found):
        return None
    return frozenset(match.group(0) for match in found if match)


def load_categories(path: Path) -> tuple[Category, ...]:
    categories = []
    owner: dict[str, str] = {}
    for entry in read_categories_file(path)["categories"]:
        name = entry["name"]
        keywords = _texts(entry.get("keywords"), f"{path}: category {name!r}: keywords")
        if not keywords:
            raise ValueError(f"{path}: category {name!r} has no keywords")
        for keyword in keywords:
            # A shared keyword would be settled by the order of the file, silently.
            first = owner.setdefault(keyword.lower(), name)
            if first != name:
                raise ValueError(
                    f"{path}: keyword {keyword!r} is listed by both {first!r} and "
                    f"{name!r}; a keyword must name one category"
                )
        categories.append(
            Category(
                name=name,
                description=str(entry.get("description", "")),
                keywords=keywords,
                examples=_texts(entry.get("examples"), f"{path}: category {name!r}: examples"),
                pattern=_keyword_pattern(keywords),
                first_words=_first_words(keywords),
            )
        )
    return tuple(categories)


def _texts(values: object, where: str) -> tuple[str, ...]:
    """``string_list``'s entries, trimmed; none may be empty."""
    texts = tuple(text.strip() for text in string_list(values, where, "words and phrases"))
    if not all(texts):
        raise ValueError(f"{where}: an entry is empty")
    return texts


def category_names(path: Path) -> list[str]:
    return [category.name for category in load_categories(path)]


def classify(
    text: str, categories: tuple[Category, ...], high_risk: frozenset[str] = frozenset()
) -> CategorySignal:
    """The category with the most keyword matches; confidence is its share of all matches.
    Between categories with as many matches, a ``high_risk`` one (a pending charge "I don't
    recognise" is fraud's before it is billing's), then the one the message names first
    ("When will I get my refund? You said the return was approved" asks about the refund);
    never the order of the file, which its authors do not see as a priority."""
    lowered = text.lower()
    words = frozenset(_WORD.findall(lowered))
    scored = []
    for category in categories:
        found = _keyword_hits(category, lowered, words)
        if found:
            hits = tuple(dict.fromkeys(keyword for _, keyword in found))
            scored.append((len(hits), category.name not in high_risk, found[0][0], category, hits))
    if not scored:
        return UNKNOWN
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    best_hits, _, _, best, evidence = scored[0]
    total = sum(item[0] for item in scored)
    # +0.5 keeps a single keyword from claiming full confidence.
    confidence = round(best_hits / (total + 0.5), 3)
    return CategorySignal(name=best.name, confidence=confidence, evidence=evidence)


def keyword_matches(category: Category, lowered: str, words: frozenset[str]) -> list[str]:
    """``[m.group(0) for m in category.pattern.finditer(lowered)]``, trying the pattern only
    where a keyword's first word occurs. ``words``: every ``\\w+`` run of ``lowered``.

    Exact: a match starts at a word boundary with a whole keyword, so its first word is a whole
    word of the text, found by ``str.find``; leftmost matches are taken, none overlapping, as
    ``finditer`` does."""
    return [keyword for _, keyword in _keyword_hits(category, lowered, words)]


def _keyword_hits(category: Category, lowered: str, words: frozenset[str]) -> list[tuple[int, str]]:
    """``keyword_matches`` with where each match starts."""
    if category.first_words is None:
        return [(match.start(), match.group(0)) for match in category.pattern.finditer(lowered)]
    starts: set[int] = set()
    for word in category.first_words.intersection(words):
        at = lowered.find(word)
        while at >= 0:
            starts.add(at)
            at = lowered.find(word, at + 1)
    found: list[tuple[int, str]] = []
    end = 0
    for start in sorted(starts):
        if start < end:
            continue
        match = category.pattern.match(lowered, start)
        if match:
            found.append((start, match.group(0)))
            end = match.end()
    return found
