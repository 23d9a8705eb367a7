"""The company's categories and intents as labelled examples a classifier can learn from.

The categories file (``relaydesk/demo/categories.yaml``) lists each category with example
messages; a category may also list ``intents``, each with its own examples, and the file may
list ``out_of_scope`` examples: messages that none of the categories covers. Examples written
directly under a category belong to its general intent, named after the category itself.
Keywords (for the keyword matcher in ``categories.py``) play no part here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Intent:
    name: str
    category: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    """Intents (each in one category) with examples, and examples of what is out of scope."""

    intents: tuple[Intent, ...]
    out_of_scope: tuple[str, ...] = ()
    oos_threshold: float = 0.5
    # Out-of-scope questions come from the company's own domain: the score also learns to flag
    # messages the classifier would get wrong (``TrainingOptions.flag_misclassified``).
    flag_misclassified: bool = False
    categories: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = [intent.name for intent in self.intents]
        if len(set(names)) != len(names):
            raise ValueError(f"intent names must be unique: {sorted(names)}")
        if OUT_OF_SCOPE in names:
            raise ValueError(f"{OUT_OF_SCOPE!r} is reserved for out-of-scope examples")
        object.__setattr__(
            self, "categories", tuple(dict.fromkeys(i.category for i in self.intents))
        )

    def fingerprint(self) -> str:
        """Changes when anything the classifier learns from changes (not comments or keywords)."""
        content = {
            "intents": [[i.name, i.category, list(i.examples)] for i in self.intents],
            "out_of_scope": list(self.out_of_scope),
        }
        if self.flag_misclassified:  # only when set, so existing caches stay valid
            content["flag_misclassified"] = True
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def labelled(self) -> tuple[list[str], list[str]]:
        """(texts, intent labels), with out-of-scope examples labelled ``out_of_scope``."""
        texts: list[str] = []
        labels: list[str] = []
        for intent in self.intents:
            texts += intent.examples
            labels += [intent.name] * len(intent.examples)
        texts += self.out_of_scope
        labels += [OUT_OF_SCOPE] * len(self.out_of_scope)
        return texts, labels

    def category_of(self, intent: str) -> str:
        return next((i.category for i in self.intents if i.name == intent), OUT_OF_SCOPE)


def read_categories_file(path: Path) -> dict[str, Any]:
    """The categories file's mapping, once its shape is checked: a 'categories' list whose
    entries are mappings with a name. Both the keyword matcher and the classifier read it."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), list):
        raise ValueError(f"{path}: expected a 'categories' list")
    for number, entry in enumerate(raw["categories"], start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{path}: category {number} needs a 'name'")
    return raw


def string_list(values: Any, where: str, what: str = "example messages") -> tuple[str, ...]:
    """A YAML list's entries as text (numbers too); () when absent. A bare string is refused:
    it would be read letter by letter."""
    if values is None:
        return ()
    if not isinstance(values, list) or not all(isinstance(v, str | int | float) for v in values):
        raise ValueError(f"{where}: expected a YAML list of {what}")
    return tuple(str(value) for value in values)


def _category_intents(entry: dict[str, Any]) -> list[Intent]:
    name = str(entry["name"])
    intents = []
    own = string_list(entry.get("examples"), f"category {name}")
    if own:
        intents.append(Intent(name=name, category=name, examples=own))
    for sub in entry.get("intents") or ():
        where = f"category {name}, intent {sub.get('name')}"
        examples = string_list(sub.get("examples"), where)
        if not examples:
            raise ValueError(f"{where}: an intent needs at least one example")
        intents.append(Intent(name=str(sub["name"]), category=name, examples=examples))
    if not intents:
        raise ValueError(f"category {name}: needs at least one example")
    return intents


def taxonomy_from_mapping(raw: dict[str, Any]) -> Taxonomy:
    intents = [intent for entry in raw["categories"] for intent in _category_intents(entry)]
    scope = raw.get("out_of_scope") or {}
    return Taxonomy(
        intents=tuple(intents),
        out_of_scope=string_list(scope.get("examples"), "out_of_scope"),
        oos_threshold=float(scope.get("threshold", 0.5)),
        flag_misclassified=_flag(scope.get("flag_misclassified", False)),
    )


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"out_of_scope.flag_misclassified: expected true or false, not {value!r}")
    return value


def load_taxonomy(path: Path) -> Taxonomy:
    raw = read_categories_file(path)
    try:
        return taxonomy_from_mapping(raw)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from error
