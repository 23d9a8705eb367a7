"""Readers for the public intent datasets, each in its own published format.

Every reader takes a file path, so an evaluation runs unchanged on another split of the same
dataset. A missing file raises ``MissingData`` with the path and what to pass instead.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("../shared/data")


class MissingData(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Examples:
    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def __add__(self, other: Examples) -> Examples:
        return Examples(self.texts + other.texts, self.labels + other.labels)


def require(path: Path, folder: bool = False) -> Path:
    """``path`` if it is a file (a folder with ``folder``), else ``MissingData`` saying what
    to pass instead."""
    if not (path.is_dir() if folder else path.is_file()):
        raise MissingData(
            f"{path} not found: pass --data-dir (the folder holding the public datasets, "
            f"see ../shared/data/README.md) or the dataset's files (--train/--test, --file)"
        )
    return path


def read_csv(path: Path, text: str, label: str) -> Examples:
    """BANKING77 (text, category) and HINT3 (sentence, label) CSV files."""
    with require(path).open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get(text) and row.get(label)]
    return Examples([row[text] for row in rows], [row[label] for row in rows])


def read_banking77(path: Path) -> Examples:
    return read_csv(path, "text", "category")


def read_hint3(path: Path) -> Examples:
    return read_csv(path, "sentence", "label")


def read_clinc150(path: Path, *splits: str) -> Examples:
    """``data_full.json``-style files: each split is a list of [text, intent]; in the
    ``oos_*`` splits the intent is "oos"."""
    with require(path).open(encoding="utf-8") as handle:
        data = json.load(handle)
    missing = [split for split in splits if split not in data]
    if missing:
        raise MissingData(f"{path} has no split {', '.join(missing)} (has {', '.join(data)})")
    pairs = [pair for split in splits for pair in data[split]]
    return Examples([str(text) for text, _ in pairs], [str(label) for _, label in pairs])


def read_dstc11(path: Path) -> Examples:
    """JSON lines with ``utterance`` and ``intent`` (the development set's format)."""
    texts: list[str] = []
    labels: list[str] = []
    for line in require(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("intent"):
                texts.append(str(row["utterance"]))
                labels.append(str(row["intent"]))
    return Examples(texts, labels)
