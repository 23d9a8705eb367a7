"""``relaydesk eval handoff``: does the detector hear an ask for a person?

A message counts as an ask when ``human_request`` or ``manager_request`` fires (a manager is a
person). Measured on Bitext ``contact_human_agent`` against its 26 other intents, on NLU++
``handoff`` (banking and hotels, all 20 folds) and on both together.

The rules have no training step, so they are measured on every example. Honesty note: the rules
were written while reading these datasets' asks, so these are development figures, not a
held-out test; the false-alarm counts on BANKING77 and CLINC150 (``--false-alarms``), which hold
no ask-for-a-person intent, are the check on over-firing. ``--learned`` adds a character n-gram
logistic regression, in seeded stratified k-fold cross-validation (there is no separate test
split), alone and OR-ed with the rules; ``--train/--test`` fit it on one file and test on another.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from relaydesk.signals.eval_data import (
    BITEXT,
    DEFAULT_DATA_DIR,
    NLUPP,
    DataMissing,
    Labelled,
    read_bitext,
    read_labelled,
    read_nlupp,
)
from relaydesk.signals.eval_report import Row, fail, precision_recall, progress, report, tracked
from relaydesk.signals.requests import requests

REFERENCE = {
    "bitext": "synthetic, no published figure; target R ≥ 0.99 at P ≥ 0.97",
    "nlupp": "issue 4, measured here: MiniLM+LR R 0.71, 10-pattern regex R 0.66",
    "combined": "target: R ≥ 0.99 at P ≥ 0.97",
}


def asks_for_a_person(text: str) -> bool:
    found = requests(text)
    return found.human.value or found.manager.value


def rule_rows(sets: dict[str, list[Labelled]], quiet: bool) -> list[Row]:
    rows = []
    with progress(quiet) as bar:
        predicted = {
            name: [asks_for_a_person(r.text) for r in tracked(bar, data, f"rules on {name}")]
            for name, data in sets.items()
        }
    for name, data in sets.items():
        rows.append(_row(name, "all", "rules", data, predicted[name]))
    if len(sets) > 1:
        everything = [r for data in sets.values() for r in data]
        flat = [p for name in sets for p in predicted[name]]
        rows.append(_row("combined", "all", "rules", everything, flat))
    return rows


def _row(name: str, split: str, method: str, data: list[Labelled], predicted: list[bool]) -> Row:
    actual = [r.positive for r in data]
    return Row(
        dataset=name,
        split=split,
        method=method,
        n=len(data),
        positives=sum(actual),
        metrics=precision_recall(predicted, actual),
        published=REFERENCE.get(name.split(" ")[0], REFERENCE["combined"]),
    )


def _fit_predict(train: list[Labelled], test: list[Labelled], seed: int) -> list[bool]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, min_df=2),
        LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=seed),
    )
    model.fit([r.text for r in train], [r.positive for r in train])
    return [bool(p) for p in model.predict([r.text for r in test])]


def learned_rows(data: list[Labelled], folds: int, seed: int, quiet: bool) -> list[Row]:
    from sklearn.model_selection import StratifiedKFold

    predicted = [False] * len(data)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = [r.positive for r in data]
    with progress(quiet) as bar:
        for train_idx, test_idx in tracked(bar, list(splitter.split(data, labels)), "folds"):
            fold = _fit_predict([data[i] for i in train_idx], [data[i] for i in test_idx], seed)
            for i, p in zip(test_idx, fold, strict=True):
                predicted[int(i)] = p
    rules = [asks_for_a_person(r.text) for r in data]
    either = [a or b for a, b in zip(rules, predicted, strict=True)]
    split = f"{folds}-fold CV"
    return [
        _row("combined", split, "char n-gram LR", data, predicted),
        _row("combined", split, "rules OR LR", data, either),
    ]


def train_test_rows(train: Path, test: Path, seed: int) -> list[Row]:
    fitted, tested = read_labelled(train), read_labelled(test)
    learned = _fit_predict(fitted, tested, seed)
    rules = [asks_for_a_person(r.text) for r in tested]
    either = [a or b for a, b in zip(rules, learned, strict=True)]
    name = f"{test.name} (trained on {train.name})"
    return [
        _row(name, "test", "rules", tested, rules),
        _row(name, "test", "char n-gram LR", tested, learned),
        _row(name, "test", "rules OR LR", tested, either),
    ]


def false_alarm_rows(data_dir: Path) -> list[Row]:
    """How often the detector fires on datasets that have no ask-for-a-person intent."""
    texts: dict[str, list[str]] = {}
    banking = data_dir / "banking77"
    clinc = data_dir / "clinc150_oos/data_full.json"
    if banking.is_dir():
        texts["banking77"] = [
            row["text"]
            for name in ("train.csv", "test.csv")
            for row in csv.DictReader((banking / name).open(encoding="utf-8", newline=""))
        ]
    if clinc.is_file():
        raw = json.loads(clinc.read_text(encoding="utf-8"))
        texts["clinc150"] = [text for part in raw.values() for text, _ in part]
    rows = []
    for name, items in texts.items():
        fired = sum(asks_for_a_person(t) for t in items)
        rows.append(Row(name, "all", "rules", len(items), 0,
                        {"fired": fired, "rate": round(fired / len(items), 5)},
                        "no ask-for-a-person intent: every firing is a false alarm or a "
                        "mislabel"))  # fmt: skip
    return rows


def _load(data_dir: Path, files: Sequence[Path]) -> dict[str, list[Labelled]]:
    if files:
        return {path.name: read_labelled(path) for path in files}
    return {
        "bitext": read_bitext(data_dir / BITEXT),
        "nlupp": read_nlupp(data_dir / NLUPP),
    }


NOTES = (
    "rules: written while reading these datasets, so a development figure; "
    "LR rows: out-of-fold predictions only (no separate test split exists)",
    "the two NLU++ asks the rules miss by design: a negated ask (\"you don't need to transfer "
    'me to a real person") and frustration alone ("this is really frustrating")',
)


def handoff(
    data_dir: Annotated[
        Path, typer.Option(help="Folder holding bitext_customer_support/ and nlupp/.")
    ] = DEFAULT_DATA_DIR,
    file: Annotated[
        list[Path] | None,
        typer.Option(help="A Bitext CSV, HINT3 CSV or NLU++ fold/folder instead (repeatable)."),
    ] = None,
    train: Annotated[Path | None, typer.Option(help="Fit the learned model on this file.")] = None,
    test: Annotated[Path | None, typer.Option(help="...and measure it on this one.")] = None,
    learned: Annotated[bool, typer.Option(help="Add the char n-gram LR (k-fold CV).")] = False,
    folds: Annotated[int, typer.Option(help="Cross-validation folds for --learned.")] = 10,
    false_alarms: Annotated[
        bool, typer.Option(help="Also count firings on BANKING77 and CLINC150.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the folds and the model.")] = 13,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ask-for-a-person precision and recall on Bitext and NLU++, beside the reference."""
    if (train is None) != (test is None):
        fail("--train and --test go together")
    try:
        if train is not None and test is not None:
            rows = train_test_rows(train, test, seed)
        else:
            sets = _load(data_dir, file or [])
            rows = rule_rows(sets, as_json)
            if learned:
                rows += learned_rows([r for d in sets.values() for r in d], folds, seed, as_json)
        if false_alarms:
            rows += false_alarm_rows(data_dir)
    except DataMissing as missing:
        fail(str(missing))
    report("Ask for a person (human_request or manager_request)", rows, as_json, NOTES)
