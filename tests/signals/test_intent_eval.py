from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from relaydesk.signals.evaluation import (
    accuracy,
    auroc,
    choose_threshold,
    few_shot,
    fit_validation_scope,
    predict,
    scope_metrics,
    stratified_folds,
)
from relaydesk.signals.features import FeatureWeights
from relaydesk.signals.intent_commands import (
    _headroom_rows,
    banking77,
    clinc150,
    dstc11,
    hint3,
)
from relaydesk.signals.intent_data import Examples
from relaydesk.signals.model import TrainingOptions, train_linear_model
from relaydesk.signals.scope import Mahalanobis
from relaydesk.signals.taxonomy import OUT_OF_SCOPE

runner = CliRunner()
PHRASES = {
    "card_arrival": [
        "where is my new card",
        "my card has not arrived",
        "card still not here",
        "when will my card come",
        "has my card been sent",
    ],
    "top_up": [
        "how do I top up",
        "add money to my account",
        "top up with bank transfer",
        "top up failed",
        "can I top up by card",
    ],
    "exchange_rate": [
        "what exchange rate do you use",
        "rate for euros to dollars",
        "is the exchange rate fair",
        "currency rate today",
        "how is the rate set",
    ],
}


def _app() -> typer.Typer:
    app = typer.Typer()
    for command in (banking77, clinc150, hint3, dstc11):
        app.command(command.__name__)(command)
    return app


def _rows() -> list[tuple[str, str]]:
    return [(text, label) for label, texts in PHRASES.items() for text in texts]


def test_accuracy_counts_exact_matches() -> None:
    assert accuracy(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 0.75
    assert accuracy([], []) == 0.0


def test_few_shot_takes_k_per_label_reproducibly() -> None:
    examples = Examples([f"t{i}" for i in range(30)], ["a"] * 20 + ["b"] * 7 + ["c"] * 3)
    sample = few_shot(examples, 5, seed=1)
    assert sorted(sample.labels) == ["a"] * 5 + ["b"] * 5 + ["c"] * 3
    assert few_shot(examples, 5, seed=1) == sample
    assert few_shot(examples, 5, seed=2) != sample


def test_stratified_folds_spread_each_label_over_the_folds() -> None:
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    folds = stratified_folds(labels, 5, seed=0)
    assert sorted(folds[:10].tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert sorted(folds[10:15].tolist()) == [0, 1, 2, 3, 4]


def test_scope_metrics_on_a_hand_made_case() -> None:
    # 4 in-scope (3 answered right), 2 out of scope; flag scores >= 0.5.
    scores = np.array([0.1, 0.2, 0.6, 0.3, 0.9, 0.4])
    correct = np.array([True, True, True, False, False, False])
    is_oos = np.array([False, False, False, False, True, True])
    found = scope_metrics(scores, correct, is_oos, 0.5)
    assert found["in_scope_accuracy"] == 0.5  # the third is right but flagged
    assert found["oos_recall"] == 0.5
    assert found["oos_precision"] == 0.5
    # Pairs (oos, in-scope) ranked right: 0.9 beats all four, 0.4 beats 0.1, 0.2 and 0.3.
    assert found["auroc"] == pytest.approx(7 / 8)


def test_threshold_keeps_the_in_scope_floor_and_maximises_recall() -> None:
    scores = np.array([0.1, 0.2, 0.6, 0.3, 0.9, 0.4])
    correct = np.array([True, True, True, False, False, False])
    is_oos = np.array([False, False, False, False, True, True])
    # Floor 0.75 (all three right answers kept): flag 0.9 and 0.4, not 0.6.
    assert choose_threshold(scores, correct, is_oos, 0.75) == 0.9
    # Floor 0.5: may lose one right answer, so 0.4 (both oos) is reachable.
    assert choose_threshold(scores, correct, is_oos, 0.5) == 0.4
    assert choose_threshold(scores, correct, is_oos, 0.99) == float("inf")


def test_banking77_runs_on_given_files(tmp_path: Path) -> None:
    for name in ("train", "test"):
        lines = ["text,category", *(f"{t},{label}" for t, label in _rows())]
        (tmp_path / f"{name}.csv").write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(
        _app(),
        [
            "banking77",
            "--train",
            str(tmp_path / "train.csv"),
            "--test",
            str(tmp_path / "test.csv"),
            "--no-dense",
            "--json",
            "--shots",
            "2",
            "--repeats",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["metric"] for row in rows] == ["accuracy", "accuracy"]
    assert rows[0]["n"] == 15
    assert rows[0]["value"] > 0.9  # trained and tested on the same 15 sentences
    assert "Casanueva" in rows[0]["published"]


def test_clinc150_reports_out_of_scope_metrics(tmp_path: Path) -> None:
    pairs = [[t, label] for t, label in _rows()]
    oos = [
        ["tell me a joke", "oos"],
        ["what is the weather", "oos"],
        ["play music", "oos"],
        ["who won the game", "oos"],
        ["book a flight", "oos"],
    ]
    data = {
        "train": pairs,
        "oos_train": oos,
        "val": pairs,
        "oos_val": oos,
        "test": pairs,
        "oos_test": oos,
    }
    path = tmp_path / "data_full.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(
        _app(), ["clinc150", "--train", str(path), "--test", str(path), "--no-dense", "--json"]
    )
    assert result.exit_code == 0, result.output
    metrics = {row["metric"]: row for row in json.loads(result.stdout)}
    assert set(metrics) == {
        "in_scope_accuracy",
        "oos_recall",
        "oos_precision",
        "auroc",
        "threshold",
    }
    assert metrics["in_scope_accuracy"]["n"] == 20
    assert metrics["auroc"]["value"] > 0.5


def test_the_headroom_bound_is_the_best_any_threshold_reaches() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        is_oos = rng.random(120) < 0.25
        correct = ~is_oos & (rng.random(120) < 0.98)
        scores = np.round(rng.random(120) + 0.4 * is_oos, 2)  # ties included
        nothing, bound = _headroom_rows("m", scores, (correct, is_oos))
        assert nothing.value == pytest.approx(correct[~is_oos].mean())
        best = 0.0
        for cut in [*np.unique(scores), np.inf]:
            found = scope_metrics(scores, correct, is_oos, float(cut))
            if found["in_scope_accuracy"] >= 0.95:
                best = max(best, found["oos_recall"])
        assert bound.metric == "oos_recall"
        assert bound.value == pytest.approx(best)
        assert bound.details["in_scope_accuracy"] >= 0.95
        assert "not a result" in bound.method


def test_hint3_and_dstc11_cross_validate_given_files(tmp_path: Path) -> None:
    csv_path = tmp_path / "shop_train.csv"
    csv_path.write_text("sentence,label\n" + "\n".join(f"{t},{lb}" for t, lb in _rows()), "utf-8")
    jsonl = tmp_path / "dev.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps({"utterance": t, "intent": lb}) for t, lb in _rows()), encoding="utf-8"
    )
    for command, path in (("hint3", csv_path), ("dstc11", jsonl)):
        result = runner.invoke(
            _app(), [command, "--train", str(path), "--no-dense", "--json", "--folds", "5"]
        )
        assert result.exit_code == 0, result.output
        (row,) = json.loads(result.stdout)
        assert row["n"] == 15
        assert "5-fold" in row["split"]
        assert 0.0 <= row["value"] <= 1.0


def test_hint3_trains_and_tests_on_two_files(tmp_path: Path) -> None:
    train = tmp_path / "bot_train.csv"
    test = tmp_path / "bot_test.csv"
    train.write_text("sentence,label\n" + "\n".join(f"{t},{lb}" for t, lb in _rows()), "utf-8")
    test.write_text("sentence,label\nwhere is my new card,card_arrival\n", encoding="utf-8")
    result = runner.invoke(
        _app(), ["hint3", "--train", str(train), "--test", str(test), "--no-dense", "--json"]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["n"] == 1
    assert row["value"] == 1.0


@pytest.mark.parametrize("command", ["banking77", "clinc150", "hint3", "dstc11"])
def test_missing_data_exits_2_with_a_message(tmp_path: Path, command: str) -> None:
    result = runner.invoke(_app(), [command, "--data-dir", str(tmp_path / "nowhere"), "--json"])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_mahalanobis_is_smallest_near_an_intent_mean() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(4, dtype=np.float32)[:2] * 3
    vectors = np.vstack([c + rng.normal(0, 0.3, (20, 4)) for c in centres]).astype(np.float32)
    distance = Mahalanobis.fit(vectors, ["a"] * 20 + ["b"] * 20)
    found = distance.distance(np.vstack([centres, [[0, 0, 3, 3]]]).astype(np.float32))
    assert found[0] < 1
    assert found[1] < 1
    assert found[2] > 10 * max(found[0], found[1])


def _clusters(rng: np.random.Generator, n: int, far: int) -> tuple[np.ndarray, list[str]]:
    """Unit vectors near one of three axes (intents a, b, c), or near a fourth (out of scope)."""
    labels = [["a", "b", "c"][i % 3] for i in range(n)] + [OUT_OF_SCOPE] * far
    axes = [{"a": 0, "b": 1, "c": 2}.get(label, 3) for label in labels]
    vectors = np.eye(6)[axes] + rng.normal(0, 0.25, (len(labels), 6))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), labels


def test_validation_fitted_scope_ranks_out_of_scope_higher() -> None:
    rng = np.random.default_rng(1)
    train_vectors, train_labels = _clusters(rng, 30, 0)
    val_vectors, val_labels = _clusters(rng, 30, 10)
    test_vectors, test_labels = _clusters(rng, 30, 10)
    texts = [f"message {i}" for i in range(len(train_labels))]
    options = TrainingOptions(weights=FeatureWeights(dense=1.0, words=0.0, chars=0.0))
    model = train_linear_model(texts, train_labels, train_vectors, options)
    val = predict(model, [f"v {i}" for i in range(len(val_labels))], val_vectors)
    correct = np.array([p == a for p, a in zip(val.labels, val_labels, strict=True)])
    is_oos = np.array(val_labels) == OUT_OF_SCOPE
    scorer = fit_validation_scope(val, val_vectors, correct, is_oos, floor=0.9)
    tested = predict(model, [f"t {i}" for i in range(len(test_labels))], test_vectors)
    scores = scorer.score(tested, test_vectors)
    assert auroc(scores, np.array(test_labels) == OUT_OF_SCOPE) > 0.95
    assert np.isfinite(scorer.threshold)
