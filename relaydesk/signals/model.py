"""A linear model over labelled messages: calibrated label probabilities and an
out-of-scope score, computed with plain numpy once trained.

Training fits scikit-learn's multinomial logistic regression on the joined features
(``features.py``). Probabilities are calibrated by temperature scaling (the method of
``CalibratedClassifierCV(method="temperature", ensemble=False)``): a single inverse
temperature is fitted to out-of-fold logits, then folded into the weights, so it changes no
prediction, only how sure each one claims to be. The same out-of-fold predictions train the
out-of-scope scorer (``scope.py``), so it learns from how the model behaves on messages it has
not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from relaydesk.signals.features import FeatureSpace, FeatureWeights, Matrix
from relaydesk.signals.scope import ScopeScorer, fit_scope_scorer, nearest_similarity
from relaydesk.signals.taxonomy import OUT_OF_SCOPE

FloatArray = npt.NDArray[np.float64]
Vectors = npt.NDArray[np.float32]
Progress = Callable[[str], None]
MIN_CALIBRATION = 10  # fewer held-out predictions than this leave the temperature at 1


@dataclass(frozen=True)
class TrainingOptions:
    weights: FeatureWeights = field(default_factory=FeatureWeights)
    c: float = 10.0  # inverse regularisation strength of the logistic regression
    folds: int = 3  # out-of-fold predictions for calibration and the scope scorer; 0: none
    seed: int = 0
    max_iter: int = 2000
    # scikit-learn's default; 1e-3 trains 3x faster but under-fits (CLINC150 val 96.8% -> ~95%)
    tol: float = 1e-4


@dataclass
class LinearModel:
    """Everything needed to score a message; weights already include the temperature."""

    labels: tuple[str, ...]
    space: FeatureSpace
    coef: FloatArray  # (labels, features)
    intercept: FloatArray  # (labels,)
    examples: Vectors  # in-scope training examples (embeddings, or n-gram rows when no dense)
    example_labels: tuple[str, ...]
    example_texts: tuple[str, ...]
    scope: ScopeScorer
    temperature: float = 1.0

    def features(self, texts: Sequence[str], vectors: Vectors | None) -> Matrix:
        return self.space.transform(texts, vectors)

    def probabilities(self, rows: Matrix) -> FloatArray:
        logits = np.asarray(rows @ self.coef.T) + self.intercept
        result: FloatArray = softmax(logits, axis=1)
        return result

    def similarity_rows(self, rows: Matrix, vectors: Vectors | None) -> Vectors:
        """What nearest-example similarity is measured on: embeddings, else n-gram rows."""
        if vectors is not None and self.space.dense:
            return vectors
        return _ngram_rows(self.space, rows)

    def scope_scores(self, probabilities: FloatArray, similarity: FloatArray) -> FloatArray:
        return self.scope.score(self.in_scope_max(probabilities), similarity)

    def in_scope_max(self, probabilities: FloatArray) -> FloatArray:
        keep = [i for i, label in enumerate(self.labels) if label != OUT_OF_SCOPE]
        result: FloatArray = probabilities[:, keep].max(axis=1)
        return result


def _ngram_rows(space: FeatureSpace, rows: Matrix) -> Vectors:
    start = space.dense_dimensions
    dense = rows[:, start:].toarray().astype(np.float32)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    result: Vectors = dense / np.maximum(norms, 1e-9)
    return result


def _fit_lr(rows: Matrix, labels: Sequence[str], options: TrainingOptions) -> LogisticRegression:
    model = LogisticRegression(
        C=options.c, max_iter=options.max_iter, tol=options.tol, random_state=options.seed
    )
    return model.fit(rows, labels)


def _out_of_fold_logits(
    rows: Matrix,
    labels: npt.NDArray[np.str_],
    strata: npt.NDArray[np.str_],
    options: TrainingOptions,
    classes: list[str],
) -> tuple[FloatArray, npt.NDArray[np.bool_]] | None:
    """Logits for each example from a model that never saw it, and whether that model knew
    the example's label (an intent with one example is unknown to the fold that holds it out).
    Folds are stratified by ``strata`` (the category), so small intents need not fill them."""
    _, counts = np.unique(strata, return_counts=True)
    folds = min(options.folds, int(counts.min()))
    if folds < 2:
        return None
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=options.seed)
    logits = np.full((len(labels), len(classes)), -1e4)
    seen = np.zeros(len(labels), dtype=bool)
    for train, held in splitter.split(np.zeros(len(labels)), strata):
        if len(set(labels[train])) < 2:
            return None
        fold = _fit_lr(rows[train], list(labels[train]), options)
        columns = [classes.index(str(label)) for label in fold.classes_]
        scores = fold.decision_function(rows[held])
        if scores.ndim == 1:  # binary: one logit for the second class
            scores = np.column_stack([-scores / 2, scores / 2])
        logits[np.ix_(held, columns)] = scores
        seen[held] = np.isin(labels[held], fold.classes_)
    return logits, seen


def fit_temperature(logits: FloatArray, targets: npt.NDArray[np.intp]) -> float:
    """The inverse temperature that minimises the log loss of ``softmax(beta * logits)``."""

    def loss(log_beta: float) -> float:
        scaled = log_softmax(np.exp(log_beta) * logits, axis=1)
        return float(-scaled[np.arange(len(targets)), targets].mean())

    found = minimize_scalar(loss, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(found.x))


def train_linear_model(
    texts: Sequence[str],
    labels: Sequence[str],
    vectors: Vectors | None,
    options: TrainingOptions | None = None,
    strata: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> LinearModel:
    """Fit on every example; out-of-fold predictions set the temperature and the scope scorer.

    ``strata`` (default: the labels) is what the folds keep in proportion."""
    say = progress or (lambda _: None)
    options = options or TrainingOptions()
    dimensions = 0 if vectors is None else vectors.shape[1]
    space = FeatureSpace(options.weights, dense_dimensions=dimensions)
    rows = space.fit(texts).transform(texts, vectors)
    label_array = np.asarray(labels)
    classes = sorted(set(labels))
    strata_array = label_array if strata is None else np.asarray(strata)
    say("out-of-fold predictions")
    found = None
    if len(classes) > 1 and options.folds >= 2:
        found = _out_of_fold_logits(rows, label_array, strata_array, options, classes)
    say("final fit")
    coef, intercept = _final_weights(rows, labels, classes, options)
    targets = np.searchsorted(classes, label_array)
    oof = None if found is None else found[0]
    beta = 1.0
    if found is not None and found[1].sum() >= MIN_CALIBRATION:
        logits, seen = found
        beta = fit_temperature(logits[seen], targets[seen])
    in_scope = label_array != OUT_OF_SCOPE
    model = LinearModel(
        labels=tuple(classes),
        space=space,
        coef=coef * beta,
        intercept=intercept * beta,
        examples=np.zeros((0, 0), dtype=np.float32),
        example_labels=tuple(label_array[in_scope]),
        example_texts=tuple(t for t, keep in zip(texts, in_scope, strict=True) if keep),
        scope=ScopeScorer.untrained(),
        temperature=1.0 / beta,
    )
    similar = model.similarity_rows(rows, vectors)
    model.examples = np.ascontiguousarray(similar[in_scope])
    say("out-of-scope scorer")
    oof_probabilities = softmax(beta * oof, axis=1) if oof is not None else None
    model.scope = _fit_scope(model, similar, label_array, oof_probabilities)
    return model


def _final_weights(
    rows: Matrix, labels: Sequence[str], classes: list[str], options: TrainingOptions
) -> tuple[FloatArray, FloatArray]:
    if len(classes) == 1:  # one label: certain, whatever the message
        return np.zeros((1, rows.shape[1])), np.zeros(1)
    fitted = _fit_lr(rows, labels, options)
    coef = np.asarray(fitted.coef_, dtype=np.float64)
    intercept = np.asarray(fitted.intercept_, dtype=np.float64)
    if len(classes) == 2:  # binary LR keeps one row: the second class's logit
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return coef, intercept


def _fit_scope(
    model: LinearModel,
    similar: Vectors,
    labels: npt.NDArray[np.str_],
    oof_probabilities: FloatArray | None,
) -> ScopeScorer:
    in_scope = labels != OUT_OF_SCOPE
    own_row = np.where(in_scope, np.cumsum(in_scope) - 1, -1)
    similarity = nearest_similarity(similar, model.examples, own_row)
    if oof_probabilities is None:
        return ScopeScorer.from_similarity(similarity[in_scope])
    max_in_scope = model.in_scope_max(oof_probabilities)
    return fit_scope_scorer(max_in_scope, similarity, ~in_scope)
