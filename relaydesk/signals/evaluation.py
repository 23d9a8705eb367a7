"""Measuring the category/intent classifier and out-of-scope detection on public data.

The same training code as the product (``model.train_linear_model``) runs on each dataset's
training split; the numbers printed beside the published ones come from the split named, never
from a split used to choose anything. Metrics here are plain functions of predictions, so tests
check them on hand-made cases. The commands are in ``intent_commands.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from relaydesk.signals.cache import CachedEmbedder
from relaydesk.signals.intent_data import Examples
from relaydesk.signals.model import LinearModel, TrainingOptions, train_linear_model
from relaydesk.signals.scope import Mahalanobis, nearest_similarity

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Say = Callable[[str], None]


@dataclass(frozen=True)
class Result:
    dataset: str
    split: str
    method: str
    n: int
    metric: str
    value: float
    published: str
    details: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Predictions:
    """What a trained model says about a list of texts."""

    labels: list[str]  # best in-scope label
    scope: FloatArray  # out-of-scope score, 0..1
    model: LinearModel
    max_in_scope: FloatArray = field(default_factory=lambda: np.zeros(0))


def accuracy(predicted: Sequence[str], actual: Sequence[str]) -> float:
    if not actual:
        return 0.0
    return sum(p == a for p, a in zip(predicted, actual, strict=True)) / len(actual)


def few_shot(examples: Examples, shots: int, seed: int) -> Examples:
    """``shots`` examples of each label (all of a label that has fewer), seeded."""
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    labels = np.asarray(examples.labels)
    for label in sorted(set(examples.labels)):
        members = np.flatnonzero(labels == label)
        chosen += sorted(rng.permutation(members)[:shots].tolist())
    return Examples([examples.texts[i] for i in chosen], [examples.labels[i] for i in chosen])


def stratified_folds(labels: Sequence[str], folds: int, seed: int) -> npt.NDArray[np.intp]:
    """A fold number per example: each label's examples, shuffled, dealt round the folds."""
    rng = np.random.default_rng(seed)
    assigned = np.zeros(len(labels), dtype=np.intp)
    array = np.asarray(labels)
    offset = 0
    for label in sorted(set(labels)):
        members = rng.permutation(np.flatnonzero(array == label))
        assigned[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)  # so singletons do not all land in fold 0
    return assigned


def choose_threshold(
    scores: FloatArray, correct: BoolArray, is_oos: BoolArray, floor: float
) -> float:
    """The out-of-scope threshold with the best recall whose in-scope accuracy (right intent
    and not flagged) stays at or above ``floor``; flags nothing if no threshold keeps it."""
    order = np.argsort(-scores, kind="stable")
    ranked, oos, right = scores[order], is_oos[order], (correct & ~is_oos)[order]
    in_scope = max(int((~is_oos).sum()), 1)
    lost = np.cumsum(right)  # correct in-scope answers flagged when the top i+1 are flagged
    kept_accuracy = (right.sum() - lost) / in_scope
    recall = np.cumsum(oos) / max(int(oos.sum()), 1)
    # A cut can only fall between different scores.
    cut = np.append(ranked[1:] < ranked[:-1], True)
    allowed = np.flatnonzero(cut & (kept_accuracy >= floor))
    if not len(allowed):
        return float("inf")
    best = allowed[np.argmax(recall[allowed])]
    return float(ranked[best])


def scope_metrics(
    scores: FloatArray, correct: BoolArray, is_oos: BoolArray, threshold: float
) -> dict[str, float]:
    flagged = scores >= threshold
    in_scope = ~is_oos
    true_flags = int((flagged & is_oos).sum())
    return {
        "in_scope_accuracy": float((correct & ~flagged)[in_scope].mean())
        if in_scope.any()
        else 0.0,
        "oos_recall": true_flags / max(int(is_oos.sum()), 1),
        "oos_precision": true_flags / max(int(flagged.sum()), 1),
        "auroc": auroc(scores, is_oos),
    }


def auroc(scores: FloatArray, positive: BoolArray) -> float:
    if positive.all() or not positive.any():
        return 0.5
    return float(roc_auc_score(positive, scores))


def embed(
    embedder: CachedEmbedder | None, texts: list[str], advance: Callable[[int], None]
) -> npt.NDArray[np.float32] | None:
    if embedder is None:
        advance(len(texts))
        return None
    return embedder.embed(texts, advance)


def fit_predict(
    train: Examples,
    tests: Sequence[list[str]],
    vectors: Sequence[npt.NDArray[np.float32] | None],
    options: TrainingOptions,
    say: Say,
) -> list[Predictions]:
    """Train on ``train`` (``vectors[0]`` its embeddings), predict each list in ``tests``."""
    model = train_linear_model(train.texts, train.labels, vectors[0], options, progress=say)
    return [predict(model, texts, found) for texts, found in zip(tests, vectors[1:], strict=True)]


def predict(
    model: LinearModel, texts: list[str], vectors: npt.NDArray[np.float32] | None
) -> Predictions:
    found = model.score(texts, vectors)
    probabilities, similarity = found.probabilities, found.similarity
    return Predictions(
        labels=[str(label) for label in model.in_scope_best(probabilities)],
        scope=model.scope_scores(probabilities, similarity),
        model=model,
        max_in_scope=model.in_scope_max(probabilities),
    )


def cross_validate(
    examples: Examples,
    vectors: npt.NDArray[np.float32] | None,
    folds: int,
    options: TrainingOptions,
    say: Say,
) -> list[str]:
    """Each example's label as predicted by the model trained on the other folds."""
    assigned = stratified_folds(examples.labels, folds, options.seed)
    predicted = [""] * len(examples)
    for fold in range(folds):
        say(f"fold {fold + 1} of {folds}")
        held = np.flatnonzero(assigned == fold)
        kept = np.flatnonzero(assigned != fold)
        train = Examples([examples.texts[i] for i in kept], [examples.labels[i] for i in kept])
        tested = [examples.texts[i] for i in held]
        parts = [None, None] if vectors is None else [vectors[kept], vectors[held]]
        (found,) = fit_predict(train, [tested], parts, options, lambda _: None)
        for i, label in zip(held, found.labels, strict=True):
            predicted[i] = label
    return predicted


NEIGHBOURS = 20  # the kNN view: mean similarity to the 20 nearest training examples


@dataclass(frozen=True)
class ValidationScope:
    """An out-of-scope score fitted on a validation split, and its threshold.

    Three views of a message: the classifier's best in-scope probability, the mean cosine
    similarity to its ``NEIGHBOURS`` nearest in-scope training examples, and the log
    Mahalanobis distance to the nearest intent mean (shared covariance). A balanced logistic
    regression on the validation split (out-of-scope vs in-scope) joins them; the threshold is
    chosen on cross-fitted validation scores (each scored by a model that did not see it), so
    it is not set on scores the model was fitted to.
    """

    distance: Mahalanobis
    coef: FloatArray
    intercept: float
    threshold: float

    def score(self, predictions: Predictions, vectors: npt.NDArray[np.float32]) -> FloatArray:
        features = scope_views(predictions, vectors, self.distance)
        result: FloatArray = features @ self.coef + self.intercept
        return result


def scope_views(
    predictions: Predictions, vectors: npt.NDArray[np.float32], distance: Mahalanobis
) -> FloatArray:
    examples = predictions.model.examples
    near = nearest_similarity(vectors, examples, k=NEIGHBOURS)
    return np.column_stack(
        [predictions.max_in_scope, near, np.log(distance.distance(vectors) + 1e-9)]
    )


def _scope_lr(features: FloatArray, is_oos: BoolArray, seed: int) -> LogisticRegression:
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=seed)
    return model.fit(features, is_oos)


def fit_validation_scope(
    validation: Predictions,
    vectors: npt.NDArray[np.float32],
    correct: BoolArray,
    is_oos: BoolArray,
    floor: float,
    seed: int = 0,
    folds: int = 5,
) -> ValidationScope:
    """Fit on the validation split; the threshold comes from 5-fold cross-fitted scores."""
    model = validation.model
    distance = Mahalanobis.fit(model.examples, model.example_labels)
    features = scope_views(validation, vectors, distance)
    held_out = np.zeros(len(is_oos))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, held in splitter.split(features, is_oos):
        held_out[held] = _scope_lr(features[train], is_oos[train], seed).decision_function(
            features[held]
        )
    threshold = choose_threshold(held_out, correct, is_oos, floor)
    final = _scope_lr(features, is_oos, seed)
    return ValidationScope(
        distance=distance,
        coef=np.asarray(final.coef_[0], dtype=np.float64),
        intercept=float(final.intercept_[0]),
        threshold=threshold,
    )
