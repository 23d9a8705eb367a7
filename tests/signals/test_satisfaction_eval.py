"""The satisfaction evaluation's protocol: hand-made dialogues, never the dataset."""

from __future__ import annotations

import numpy as np
import pytest

from relaydesk.conversations.models import Source
from relaydesk.signals import eval_satisfaction
from relaydesk.signals.eval_data import Dialogue, Utterance
from relaydesk.signals.eval_satisfaction import (
    Examples,
    Parts,
    bootstrap_ci,
    cross_fitted_half,
    examples,
    fit_constants,
    fit_context,
    held_out_half,
    learned_train_test_rows,
    recipe_nested_cv,
    runtime_like,
    shipped,
    train_test_rows,
    turn_arrays,
)
from relaydesk.signals.frustration import CONTEXT_WEIGHTS, frustration

GOING_BADLY = (
    Utterance(Source.CUSTOMER, "I need a train to Ely on Tuesday.", (3, 3, 3)),
    Utterance(Source.AI_AGENT, "Sorry, there are no trains to Ely on Tuesday."),
    Utterance(Source.CUSTOMER, "No, are you sure? Please check again.", (1, 2, 2)),
    Utterance(Source.AI_AGENT, "Unfortunately I could not find any."),
    Utterance(Source.CUSTOMER, "No, I said Tuesday. Check again!", (2, 1, 2)),
)
GOING_WELL = (
    Utterance(Source.CUSTOMER, "A cheap hotel in the north please.", (3, 3, 3)),
    Utterance(Source.AI_AGENT, "The Acorn is cheap and in the north. Shall I book it?"),
    Utterance(Source.CUSTOMER, "Yes, book it for two nights.", (3, 4, 3)),
    Utterance(Source.AI_AGENT, "Booked, reference AB12. Anything else I can help with?"),
    Utterance(Source.CUSTOMER, "Great, thanks, that's all.", (4, 4, 3)),
)


def _dialogues(count: int) -> list[Dialogue]:
    """Every third dialogue goes badly; the rest go well."""
    return [Dialogue(i, GOING_BADLY if i % 3 == 0 else GOING_WELL) for i in range(count)]


def test_examples_hold_the_conversation_before_each_rated_turn() -> None:
    data = examples(_dialogues(1))
    assert [label for _, _, label in data] == [False, True, True]
    _, third, _ = data[2]
    assert third.text == "No, I said Tuesday. Check again!"
    assert [entry.source for entry in third.history] == [Source.CUSTOMER, Source.AI_AGENT] * 2


def test_the_recipe_in_the_evaluation_is_the_runtime_score() -> None:
    data = examples(_dialogues(6))
    rules, x, has, _, _ = turn_arrays(data)
    recipe = runtime_like(rules, x, has, shipped())
    runtime = [frustration(t).score for _, t, _ in data]
    assert np.allclose(recipe, runtime, atol=2e-4)
    assert not has[0]  # the first message, before any AI reply, has no learned part


def test_fitting_finds_the_inputs_that_mark_dissatisfaction() -> None:
    rules, x, has, y, _ = turn_arrays(examples(_dialogues(12)))
    bias, weights = fit_context(x, y, has, c=10.0)
    named = dict(zip(CONTEXT_WEIGHTS, weights, strict=True))
    assert named["checks the AI"] > 0 > named["thanks"]
    scores = runtime_like(rules, x, has, (bias, weights))
    assert scores[y].min() > scores[~y].max()


def test_one_class_fits_nothing() -> None:
    _, x, has, y, _ = turn_arrays(examples([Dialogue(0, GOING_WELL)]))
    bias, weights = fit_context(x, y, has, c=1.0)
    assert not weights.any()
    assert bias < -5


def test_the_constants_come_from_the_split_they_are_fitted_on() -> None:
    data: Examples = examples(_dialogues(12))
    dev = [row for row in data if row[0] % 2 == 0]
    # Flipping every label of the test half (odd dialogues) must not change a fit on dev...
    flipped = [(i, t, label if i % 2 == 0 else not label) for i, t, label in data]
    printed = fit_constants(dev, "dev", seed=1)
    assert printed == fit_constants([row for row in flipped if row[0] % 2 == 0], "dev", seed=1)
    assert "CONTEXT_BIAS = " in printed
    assert all(f'"{name}": ' in printed for name in CONTEXT_WEIGHTS)
    # ...and must change a fit on every dialogue.
    assert fit_constants(data, "all", seed=1) != fit_constants(flipped, "all", seed=1)


def test_the_held_out_row_is_fitted_on_dev_and_scores_only_the_test_half() -> None:
    data: Examples = examples(_dialogues(12))
    parts = turn_arrays(data)
    dev = parts[4] % 2 == 0
    row = held_out_half(parts, dev, seed=1)
    assert row.split == "test"
    assert row.n == int((~dev).sum())
    # The test half's labels change its score, never the fit: flip them and the AUC mirrors.
    rules, x, has, y, groups = parts
    flipped = held_out_half((rules, x, has, np.where(dev, y, ~y), groups), dev, seed=1)
    assert flipped.metrics["auc"] == pytest.approx(1 - row.metrics["auc"])


def test_the_cross_fitted_row_scores_the_test_half_with_models_that_never_saw_a_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data: Examples = examples(_dialogues(20))
    parts = turn_arrays(data)
    dev = parts[4] % 2 == 0
    fitted_on: list[set[int]] = []

    def spy(fit: Parts, seed: int) -> float:
        fitted_on.append(set(fit[4].tolist()))
        return 1.0

    monkeypatch.setattr(eval_satisfaction, "choose_context_c", spy)
    row = cross_fitted_half(parts, dev, seed=1)
    assert row.split == "test"
    assert row.n == int((~dev).sum())
    assert "dev + the other 4 of 5 test folds" in row.method
    assert row.metrics["ci95_low"] <= row.metrics["auc"] <= row.metrics["ci95_high"]
    # Five fits, each on every dev dialogue; each test dialogue is left out of exactly one fit,
    # the one whose model scores it.
    dev_ids = set(parts[4][dev].tolist())
    test_ids = set(parts[4][~dev].tolist())
    assert len(fitted_on) == 5
    assert all(dev_ids <= ids for ids in fitted_on)
    assert all(sum(i not in ids for ids in fitted_on) == 1 for i in test_ids)


def test_cross_fitting_needs_two_test_dialogues() -> None:
    parts = turn_arrays(examples(_dialogues(2)))
    with pytest.raises(ValueError, match="two dialogues"):
        cross_fitted_half(parts, parts[4] % 2 == 0, seed=1)


def test_bootstrap_interval_brackets_the_estimate() -> None:
    y = np.array([True, False, False, True, False, False, False, True])
    groups = np.arange(len(y))
    perfect = np.where(y, 1.0, 0.0)
    assert bootstrap_ci(perfect, y, groups, seed=1) == (1.0, 1.0)
    noisy = np.array([0.9, 0.2, 0.95, 0.6, 0.1, 0.3, 0.7, 0.4])
    low, high = bootstrap_ci(noisy, y, groups, seed=1)
    assert 0 <= low < high <= 1
    assert bootstrap_ci(perfect, np.zeros(len(y), dtype=bool), groups, seed=1) == (0.5, 0.5)


def test_nested_cv_with_one_dialogue_falls_back_to_the_rules() -> None:
    parts = turn_arrays(examples([Dialogue(0, GOING_BADLY)]))
    assert np.array_equal(recipe_nested_cv(parts, seed=1), parts[0])


def test_train_and_test_files_fit_on_one_and_score_the_other() -> None:
    fitted, tested = examples(_dialogues(12)), examples(_dialogues(9))
    rows = {r.method: r for r in train_test_rows(fitted, tested, ("a.txt", "b.txt"), 1, True)}
    recipe = next(r for m, r in rows.items() if m.startswith("runtime recipe, learned part"))
    assert recipe.dataset == "USS b.txt"
    assert recipe.split == "test (trained on a.txt)"
    assert recipe.n == len(tested)
    assert recipe.metrics["ci95_low"] <= recipe.metrics["auc"] <= recipe.metrics["ci95_high"]
    assert {"VADER negativity alone", "rules alone (hand weights)", "frustration score"} <= set(
        rows
    )
    # The test file's labels are only scored: flipped, the recipe's AUC mirrors.
    flipped = [(i, t, not label) for i, t, label in tested]
    again = train_test_rows(fitted, flipped, ("a.txt", "b.txt"), 1, True)
    assert again[-1].metrics["auc"] == pytest.approx(1 - recipe.metrics["auc"])
    (wide,) = learned_train_test_rows(fitted, tested, ("a.txt", "b.txt"), 1)
    assert wide.n == len(tested)
