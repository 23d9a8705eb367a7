"""``relaydesk eval banking77-oos`` and the scorer option it compares: hand-made data only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from relaydesk.signals.eval_unseen import banking77_oos, split_intents
from relaydesk.signals.model import TrainingOptions, train_linear_model
from relaydesk.signals.scope import fit_scope_scorer
from relaydesk.signals.taxonomy import OUT_OF_SCOPE

runner = CliRunner()
PHRASES = {
    "card_arrival": ["where is my new card", "my card has not arrived", "card still not here"],
    "top_up": ["how do I top up", "add money to my account", "top up with bank transfer"],
    "exchange_rate": ["what exchange rate do you use", "rate for euros", "is the rate fair"],
    "pin_blocked": ["my pin is blocked", "unblock my pin", "pin locked after three tries"],
    "lost_card": ["I lost my card", "my card was stolen", "cannot find my card anywhere"],
    "refund": ["where is my refund", "refund not received", "how long does a refund take"],
}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("banking77-oos")(banking77_oos)
    app.command("unused")(lambda: None)  # two commands, so the name is read as a subcommand
    return app


def _write(tmp_path: Path) -> tuple[Path, Path]:
    lines = ["text,category"] + [f"{t},{label}" for label, ts in PHRASES.items() for t in ts]
    for name in ("train", "test"):
        (tmp_path / f"{name}.csv").write_text("\n".join(lines), encoding="utf-8")
    return tmp_path / "train.csv", tmp_path / "test.csv"


def test_intents_are_split_without_overlap_and_reproducibly() -> None:
    intents = [f"i{n}" for n in range(10)]
    taught, known, unseen = split_intents(intents, 5, 2, seed=3)
    assert (len(taught), len(known), len(unseen)) == (5, 2, 3)
    assert sorted(taught + known + unseen) == sorted(intents)
    assert split_intents(intents, 5, 2, seed=3) == (taught, known, unseen)
    assert split_intents(intents, 5, 2, seed=4) != (taught, known, unseen)
    with pytest.raises(ValueError, match="at least one unseen"):
        split_intents(intents, 8, 2, seed=0)


def test_the_command_reports_auroc_and_recall_over_the_splits(tmp_path: Path) -> None:
    train, test = _write(tmp_path)
    args = ["banking77-oos", "--train", str(train), "--test", str(test), "--no-dense", "--json"]
    args += ["--in-scope", "3", "--known", "1", "--oos-examples", "2", "--splits", "2"]
    result = runner.invoke(_app(), args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["metric"] for row in rows] == ["auroc", "oos_recall"]
    assert rows[0]["n"] == 5 * 3  # three taught and two unseen intents, three messages each
    assert (
        "3 intents taught, 1 give 2 out-of-scope examples, the other 2 unseen" in rows[0]["method"]
    )
    for row in rows:
        assert 0.0 <= row["details"]["min"] <= row["value"] <= row["details"]["max"] <= 1.0


def test_a_split_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    train, test = _write(tmp_path)
    args = ["banking77-oos", "--train", str(train), "--test", str(test), "--no-dense"]
    result = runner.invoke(_app(), [*args, "--in-scope", "5", "--known", "1"])
    assert result.exit_code == 2
    assert "cannot be split" in result.output


def test_flagging_misclassified_messages_adds_them_to_what_the_scorer_learns_to_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two intents given the very same words, so out-of-fold guesses are often wrong.
    texts = ["refund for my order"] * 24
    labels = ["refund", "order"] * 12
    texts += ["tell me a joke", "what is the weather", "sing a song"]
    labels += [OUT_OF_SCOPE] * 3
    learned: dict[bool, int] = {}

    def spy(max_in_scope, similarity, flagged, oos_probability=None):  # type: ignore[no-untyped-def]
        learned[option] = int(np.sum(flagged))
        return fit_scope_scorer(max_in_scope, similarity, flagged, oos_probability)

    monkeypatch.setattr("relaydesk.signals.model.fit_scope_scorer", spy)
    for option in (False, True):
        train_linear_model(texts, labels, None, TrainingOptions(flag_misclassified=option))
    assert learned[False] == 3  # the out-of-scope examples alone
    assert learned[True] > 3  # and the in-scope ones the folds got wrong
