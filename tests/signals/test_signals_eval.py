from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from factories import turn
from typer.testing import CliRunner

from relaydesk.conversations.models import Source
from relaydesk.eval_commands import eval_app
from relaydesk.signals.eval_data import BITEXT, MWOZ, NLUPP, read_uss
from relaydesk.signals.eval_report import auc, precision_recall
from relaydesk.signals.eval_satisfaction import dialogue_features

runner = CliRunner()

BITEXT_ROWS = [
    ("I want to talk to a human agent", "contact_human_agent"),
    ("need help speaking with somebody", "contact_human_agent"),
    ("humen pls", "contact_human_agent"),
    ("how can I cancel purchase 123?", "cancel_order"),
    ("what hours can I call customer service", "contact_customer_service"),
    ("I need my invoice", "get_invoice"),
]
NLUPP_FOLDS = {
    "banking/fold0.json": [
        {"text": "Just stop and let me talk to a real person", "intents": ["handoff"]},
        {"text": "How long does it take to get a new pin?", "intents": ["how_long", "pin"]},
    ],
    "hotels/fold0.json": [
        {"text": "get me your manager on the line", "intents": ["handoff"]},
        {"text": "is breakfast included?", "intents": ["request_info"]},
    ],
}
MWOZ_TEXT = (
    "USER\tI need a train to Ely on Tuesday.\tTrain-Inform\t3,3,3\n"
    "SYSTEM\tSorry, there are no trains on Tuesday.\tTrain-NoOffer\t\n"
    "USER\tAre you sure? I said Tuesday, please check again!!\t\t1,2,2\n"
    "SYSTEM\tTR101 leaves at 9:00.\t\t\n"
    "USER\tThanks, goodbye.\tgeneral-bye\t3,3,3\n"
    "USER\tOVERALL\t\t2,2,2\n"
    "\n"
    "USER\tA cheap hotel in the north please.\tHotel-Inform\t3,3,3\n"
    "SYSTEM\tThe Acorn is cheap and in the north.\t\t\n"
    "USER\tGreat, book it.\t\t3,4,3\n"
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    bitext = tmp_path / BITEXT
    bitext.parent.mkdir(parents=True)
    with bitext.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["instruction", "intent"])
        writer.writerows(BITEXT_ROWS)
    for name, rows in NLUPP_FOLDS.items():
        fold = tmp_path / NLUPP / name
        fold.parent.mkdir(parents=True, exist_ok=True)
        fold.write_text(json.dumps(rows), encoding="utf-8")
    mwoz = tmp_path / MWOZ
    mwoz.parent.mkdir(parents=True)
    mwoz.write_text(MWOZ_TEXT, encoding="utf-8")
    return tmp_path


def _rows(output: str) -> dict[tuple[str, str, str], dict[str, float]]:
    found = json.loads(output)["rows"]
    return {(r["dataset"], r["split"], r["method"]): r["metrics"] for r in found}


def test_handoff_on_hand_made_data(data_dir: Path) -> None:
    result = runner.invoke(eval_app, ["handoff", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert rows[("bitext", "all", "rules")]["recall"] == 1.0
    assert rows[("bitext", "all", "rules")]["precision"] == 1.0
    assert rows[("nlupp", "all", "rules")]["tp"] == 2
    assert rows[("combined", "all", "rules")]["fn"] == 0


def test_handoff_reports_bitexts_robustness_slices(tmp_path: Path) -> None:
    bitext = tmp_path / "bitext.csv"
    with bitext.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["instruction", "intent", "tags"])
        writer.writerows([
            ["can u get me a real human plz", "contact_human_agent", "BQ"],
            ["i want to tlak to a persn", "contact_human_agent", "BZ"],
            ["get me a f*cking agent now", "contact_human_agent", "BW"],
            ["where is my oredr", "track_order", "BZ"],
            ["this f*cking app won't let me log in", "recover_password", "BW"],
        ])  # fmt: skip
    result = runner.invoke(eval_app, ["handoff", "--file", str(bitext), "--json"])
    assert result.exit_code == 0, result.output
    rows = {(r["dataset"], r["split"]): r for r in json.loads(result.stdout)["rows"]}
    typos, rude = rows[("bitext.csv", "typos (Z)")], rows[("bitext.csv", "offensive (W)")]
    assert (typos["n"], typos["positives"]) == (2, 1)
    assert (rude["n"], rude["positives"]) == (2, 1)
    assert rows[("bitext.csv", "colloquial (Q)")]["metrics"]["recall"] == 1.0
    assert rude["metrics"]["fp"] == 0  # rudeness alone is not an ask for a person
    assert ("bitext.csv", "keywords (K)") not in rows  # no example carries the tag


def test_handoff_train_test_files(data_dir: Path) -> None:
    bitext = str(data_dir / BITEXT)
    result = runner.invoke(eval_app, ["handoff", "--train", bitext, "--test", bitext, "--json"])
    assert result.exit_code == 0, result.output
    methods = {method for _, _, method in _rows(result.stdout)}
    assert methods == {"rules", "char n-gram LR", "rules OR LR"}


def test_satisfaction_on_hand_made_data(data_dir: Path) -> None:
    result = runner.invoke(eval_app, ["satisfaction", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    # The one dissatisfied turn (mean 1.67) follows a failed answer and pushes back.
    assert rows[("USS MultiWOZ", "all", "frustration score")]["auc"] == 1.0


def test_satisfaction_train_test_files(data_dir: Path) -> None:
    mwoz = str(data_dir / MWOZ)
    result = runner.invoke(eval_app, ["satisfaction", "--train", mwoz, "--test", mwoz, "--json"])
    assert result.exit_code == 0, result.output
    splits = {split for _, split, _ in _rows(result.stdout)}
    assert splits == {"test (trained on MWOZ.txt)"}
    lonely = runner.invoke(eval_app, ["satisfaction", "--train", mwoz])
    assert lonely.exit_code != 0
    assert "--train and --test go together" in lonely.output


@pytest.mark.parametrize("command", ["handoff", "satisfaction"])
def test_missing_data_exits_2_with_a_message(tmp_path: Path, command: str) -> None:
    result = runner.invoke(eval_app, [command, "--data-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "missing" in result.output


def test_uss_reader_skips_overall_lines(data_dir: Path) -> None:
    dialogues = read_uss(data_dir / MWOZ)
    assert len(dialogues) == 2
    assert [len(d.turns) for d in dialogues] == [5, 3]
    assert dialogues[0].turns[2].ratings == (1, 2, 2)


def test_metrics() -> None:
    assert precision_recall([True, True, False, False], [True, False, True, False]) == {
        "precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1,
    }  # fmt: skip
    assert auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert auc([0.3], [True]) == 0.5


def test_dialogue_features_read_the_conversation_before_the_turn() -> None:
    first = dialogue_features(turn("I need a train to Ely."))
    assert first["first turn"] == 1.0
    assert first["AI failures so far"] == 0.0
    later = dialogue_features(
        turn(
            "Are you sure? I really need Tuesday.",
            (Source.CUSTOMER, "A train to Ely, this is ridiculous."),
            (Source.AI_AGENT, "Sorry, there are no trains on Tuesday."),
        )
    )
    assert later["first turn"] == 0.0
    assert later["AI failures so far"] > 0
    assert later["earlier frustration"] > 0
    assert later["pushback"] == 1.0
    assert later["insists"] == 1.0
    assert set(first) == set(later)


def test_satisfaction_reports_the_learned_scorer_with_its_protocol(data_dir: Path) -> None:
    result = runner.invoke(eval_app, ["satisfaction", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    methods = {method for _, _, method in _rows(result.stdout)}
    assert "learned LR (C by nested grouped CV)" in methods
    assert any(method.startswith("learned LR, trained on dev") for method in methods)
