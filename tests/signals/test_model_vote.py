"""The nearest examples' vote blended into the linear model, and the out-of-scope scorer's
third view (the classifier's own out-of-scope probability)."""

from __future__ import annotations

import numpy as np

from relaydesk.signals.model import (
    VOTE_NEIGHBOURS,
    TrainingOptions,
    choose_vote_weight,
    neighbour_votes,
    train_linear_model,
)
from relaydesk.signals.scope import ScopeScorer, fit_scope_scorer


def test_votes_weigh_the_closest_examples_most() -> None:
    sims = np.array([[0.90, 0.80, 0.10], [0.20, 0.30, 0.95]])
    classes = np.array([0, 1, 1])
    votes = neighbour_votes(sims, classes, n_classes=2)
    assert np.allclose(votes.sum(axis=1), 1.0)
    # 0.90 against 0.80 is five temperatures apart: class 0 takes almost all of row 0.
    assert votes[0, 0] > 0.99
    assert votes[1, 1] > 0.99


def test_votes_count_at_most_the_nearest_neighbours() -> None:
    examples = VOTE_NEIGHBOURS + 5
    sims = np.full((1, examples), 0.5)
    sims[0, -5:] = 0.1  # the five far ones are class 1, outside the nearest k
    classes = np.array([0] * VOTE_NEIGHBOURS + [1] * 5)
    votes = neighbour_votes(sims, classes, n_classes=2)
    assert votes[0, 1] == 0.0


def test_the_vote_gets_weight_only_when_it_helps() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 3, size=300)
    unsure = np.full((300, 3), 1 / 3)
    right = np.eye(3)[targets] * 0.9 + 0.1 / 3
    assert choose_vote_weight(unsure, right, targets) > 0.3
    wrong = np.eye(3)[(targets + 1) % 3]
    confident = np.eye(3)[targets] * 0.8 + 0.2 / 3
    assert choose_vote_weight(confident, wrong, targets) == 0.0


def _clusters(seed: int) -> tuple[list[str], list[str], np.ndarray]:
    """Three intents as tight clusters of unit vectors, plus scattered out-of-scope ones."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[:3]
    texts, labels, rows = [], [], []
    for i, centre in enumerate(centres):
        for j in range(30):
            rows.append(centre + 0.15 * rng.normal(size=8))
            texts.append(f"intent {i} example {j}")
            labels.append(f"intent_{i}")
    for j in range(20):
        rows.append(rng.normal(size=8))
        texts.append(f"something else {j}")
        labels.append("out_of_scope")
    vectors = np.asarray(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return texts, labels, vectors


def test_training_chooses_a_vote_weight_and_scores_with_it() -> None:
    texts, labels, vectors = _clusters(1)
    model = train_linear_model(texts, labels, vectors, TrainingOptions(folds=3))
    assert 0.0 <= model.vote_weight <= 0.7
    found = model.score(texts[:5], vectors[:5])
    assert np.allclose(found.probabilities.sum(axis=1), 1.0)
    linear = model.probabilities(found.rows)
    if model.vote_weight > 0:
        assert not np.allclose(found.probabilities, linear)
    assert found.nearest.min() >= 0
    assert found.similarity.max() <= 1.0 + 1e-6


def test_the_out_of_scope_probability_joins_the_scope_score() -> None:
    rng = np.random.default_rng(2)
    n = 400
    out = rng.random(n) < 0.2
    # Only the classifier's out-of-scope probability tells the classes apart here.
    max_in_scope = rng.random(n)
    similarity = rng.random(n)
    oos_probability = np.where(out, 0.6, 0.02) * rng.uniform(0.8, 1.2, n)
    scorer = fit_scope_scorer(max_in_scope, similarity, out, oos_probability)
    assert scorer.w_oos > 0
    scores = scorer.score(max_in_scope, similarity, oos_probability)
    assert scores[out].min() > scores[~out].max()
    # Without an out-of-scope class the view is simply absent.
    plain = fit_scope_scorer(max_in_scope, similarity, out)
    assert plain.w_oos == 0.0
    assert ScopeScorer.untrained().score(max_in_scope, similarity, None).max() < 0.01
