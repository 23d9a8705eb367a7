"""`relaydesk eval repeat`: pair sampling, the threshold rule, and the command on given files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from relaydesk.signals.eval_repeat import repeat, sample_pairs, threshold_for

runner = CliRunner()
LABELS = ["refund"] * 3 + ["card"] * 2 + ["pin"]


def test_pairs_are_what_they_say() -> None:
    pairs = sample_pairs(LABELS, 50, seed=3)
    assert len(pairs.same) == len(pairs.different) == 50
    assert all(i != j and LABELS[i] == LABELS[j] for i, j in pairs.same)
    assert all(LABELS[i] != LABELS[j] for i, j in pairs.different)
    assert sample_pairs(LABELS, 50, seed=3) == pairs  # seeded


def test_pairs_need_two_intents_and_a_pair_to_sample() -> None:
    with pytest.raises(ValueError, match="two intents"):
        sample_pairs(["refund", "refund"], 5, seed=0)
    with pytest.raises(ValueError, match="at least two messages"):
        sample_pairs(["refund", "card"], 5, seed=0)


def test_the_threshold_lets_through_at_most_the_allowed_share() -> None:
    different = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    # 10% of 10 pairs: one may count (0.95); 0.9 must not.
    cut = threshold_for(different, 0.1)
    assert (different >= cut).sum() == 1
    assert 0.9 < cut <= 0.95
    assert (different >= threshold_for(different, 0.0)).sum() == 0
    assert (different >= threshold_for(different, 0.35)).sum() == 3


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("repeat")(repeat)
    app.command("unused")(lambda: None)  # two commands: typer keeps the subcommand name
    return app


def test_runs_on_given_files_with_the_real_embedder(tmp_path: Path) -> None:
    rows = [
        ("how do I reset my password", "password"),
        ("I forgot my password and cannot log in", "password"),
        ("password reset link please", "password"),
        ("where is my refund", "refund"),
        ("I still have not got my money back", "refund"),
        ("refund for my last order", "refund"),
        ("change my delivery address", "address"),
        ("I moved, update where you ship to", "address"),
    ]
    lines = ["text,category", *(f"{text},{label}" for text, label in rows)]
    for name in ("train", "test"):
        (tmp_path / f"{name}.csv").write_text("\n".join(lines), encoding="utf-8")
    args = ["repeat", "--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv")]
    result = runner.invoke(_app(), [*args, "--pairs", "200", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    chosen = found[0]
    assert chosen["metric"] == "threshold"
    assert -1.0 <= chosen["value"] <= 1.0
    by_method = {(r["method"], r["metric"]): r["value"] for r in found[1:]}
    either = by_method[("either, as repeat_ask counts (chosen)", "same_intent_recall")]
    lexical = by_method[("lexical (Dice >= 0.6)", "same_intent_recall")]
    assert either >= lexical  # the meaning can only add repeats
    assert 0.0 < either <= 1.0


def test_missing_data_and_bad_options_are_clear_errors(tmp_path: Path) -> None:
    missing = runner.invoke(_app(), ["repeat", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert "nowhere" in missing.output
    bad = runner.invoke(_app(), ["repeat", "--false-repeats", "1.5"])
    assert bad.exit_code == 2
    assert "--false-repeats" in bad.output
