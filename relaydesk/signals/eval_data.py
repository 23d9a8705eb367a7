"""Readers for the public datasets the request and satisfaction evaluations use.

Each reader takes the dataset's own file format, so ``--file``/``--train``/``--test`` run the
same evaluation on other splits. A missing file raises ``MissingData`` (``intent_data``);
commands turn it into exit code 2 with the path and what to do.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from relaydesk.conversations.models import Source
from relaydesk.signals.intent_data import MissingData, require

BITEXT = "bitext_customer_support/Bitext_Sample_Customer_Support_Training_Dataset.csv"
NLUPP = "nlupp/data"
HINT3 = "hint3/dataset/v2/train"
MWOZ = "user_satisfaction_simulation/MWOZ.txt"


@dataclass(frozen=True)
class Labelled:
    """One message and whether it asks for a person (the dataset's own label)."""

    text: str
    positive: bool
    source: str  # dataset and fold or intent, for slices
    tags: str = ""  # Bitext's linguistic tags (Q colloquial, Z typos, W offensive...), for slices


def half(text: str) -> str:
    """A fixed split by the text's hash: "dev" to look at while writing rules, "test" to report."""
    return "dev" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "test"


def read_bitext(path: Path, positive_intent: str = "contact_human_agent") -> list[Labelled]:
    with require(path).open(encoding="utf-8", newline="") as handle:
        return [
            Labelled(
                row["instruction"],
                row["intent"] == positive_intent,
                f"bitext:{row['intent']}",
                row.get("tags") or "",
            )
            for row in csv.DictReader(handle)
        ]


def read_nlupp_fold(path: Path, domain: str = "") -> list[Labelled]:
    rows = json.loads(require(path).read_text(encoding="utf-8"))
    name = f"nlupp:{domain or path.parent.name}:{path.stem}"
    return [Labelled(r["text"], "handoff" in r.get("intents", ()), name) for r in rows]


def read_nlupp(directory: Path) -> list[Labelled]:
    folds = sorted(require(directory, folder=True).glob("*/fold*.json"))
    if not folds:
        raise MissingData(f"{directory} holds no */fold*.json files (NLU++ data/)")
    return [row for fold in folds for row in read_nlupp_fold(fold)]


def read_hint3(path: Path) -> list[Labelled]:
    """HINT3 train CSVs, one file or a folder of them (``read_hint3_bot``)."""
    if path.is_dir():
        return [row for rows in read_hint3_bots(path).values() for row in rows]
    return read_hint3_bot(path)


def read_labelled(path: Path) -> list[Labelled]:
    """Any of the above by its format: Bitext or HINT3 CSV, an NLU++ fold or a folder of them."""
    if path.is_dir():
        return read_nlupp(path) if any(path.glob("*/fold*.json")) else read_hint3(path)
    if path.suffix == ".json":
        return read_nlupp_fold(path)
    with require(path).open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    return read_bitext(path) if "instruction" in header else read_hint3(path)


@dataclass(frozen=True)
class Utterance:
    source: Source
    text: str
    ratings: tuple[int, ...] = ()


@dataclass(frozen=True)
class Dialogue:
    index: int
    turns: tuple[Utterance, ...] = field(default_factory=tuple)


def _utterance(line: str) -> Utterance | None:
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 2 or parts[1] == "OVERALL":
        return None
    role = Source.CUSTOMER if parts[0] == "USER" else Source.AI_AGENT
    raw = parts[3] if len(parts) > 3 else ""
    ratings = tuple(int(r) for r in raw.split(",") if r.strip().isdigit())
    return Utterance(role, parts[1], ratings)


def read_uss(path: Path) -> list[Dialogue]:
    """User Satisfaction Simulation (``MWOZ.txt``): sessions split by blank lines."""
    dialogues: list[Dialogue] = []
    current: list[Utterance] = []
    for line in [*require(path).read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current:
                dialogues.append(Dialogue(len(dialogues), tuple(current)))
            current = []
            continue
        utterance = _utterance(line)
        if utterance is not None:
            current.append(utterance)
    return dialogues


# HINT3's labels say where each bot routes a message, not what the customer asked: "Poor
# service" routes to an agent, "Connect to an agent" (sofmattress LEAD_GEN) does not.
HINT3_AGENT_LABELS = frozenset({"CHAT_WITH_AGENT", "CHAT_WITH_AN_AGENT"})


def read_hint3_bot(path: Path) -> list[Labelled]:
    """One bot's HINT3 CSV; positive when its label routes the message to an agent."""
    bot = path.stem.removesuffix("_train")
    with require(path).open(encoding="utf-8", newline="") as handle:
        return [_hint3_row(bot, row) for row in csv.DictReader(handle)]


def _hint3_row(bot: str, row: dict[str, str]) -> Labelled:
    label = (row.get("label") or "").strip()
    return Labelled(row["sentence"], label in HINT3_AGENT_LABELS, f"hint3:{bot}:{label}")


def read_hint3_bots(directory: Path) -> dict[str, list[Labelled]]:
    """Every bot's CSV in a HINT3 folder (``dataset/v2/train``), by bot name."""
    files = sorted(require(directory, folder=True).glob("*.csv"))
    if not files:
        raise MissingData(f"{directory} holds no *.csv files (HINT3 dataset/v2/train/)")
    return {path.stem.removesuffix("_train"): read_hint3_bot(path) for path in files}
