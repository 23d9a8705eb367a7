"""A linear model over labelled messages: calibrated label probabilities and an
out-of-scope score, computed with plain numpy once trained.

Training fits scikit-learn's multinomial logistic regression on the joined features
(``features.py``). Probabilities are calibrated by temperature scaling (the method of
``CalibratedClassifierCV(method="temperature", ensemble=False)``): a single inverse
temperature is fitted to out-of-fold logits, then folded into the weights, so it changes no
prediction, only how sure each one claims to be.

A vote of the nearest training examples is blended into the probabilities: ``(1 - w) * LR +
w * vote``, where each of the ``VOTE_NEIGHBOURS`` closest examples (cosine) votes for its label
with weight ``exp(similarity / VOTE_TEMPERATURE)``. The linear model draws one boundary per
intent; the vote keeps what a few close examples say (an intent phrased two very different
ways, a rare wording). ``w`` is chosen per model, on the same out-of-fold predictions, as the
weight with the lowest out-of-fold log loss (0 when the vote does not help). On a held-out
fifth of BANKING77's training set the vote took accuracy from 93.05% to 93.55% (w = 0.3, chosen
out of fold; k and the temperature were chosen on that fifth; the test split was not used).

The same out-of-fold predictions train the out-of-scope scorer (``scope.py``), so it learns from
how the model behaves on messages it has not seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

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
VOTE_NEIGHBOURS = 20
VOTE_TEMPERATURE = 0.02  # cosine: a neighbour 0.05 further away counts ~12x less
VOTE_WEIGHTS = np.round(np.arange(0.0, 0.71, 0.05), 2)  # the blend weights tried
BLOCK = 2048  # queries scored at once: bounds the (queries x examples) similarity matrix


@dataclass(frozen=True)
class TrainingOptions:
    weights: FeatureWeights = field(default_factory=FeatureWeights)
    c: float = 10.0  # inverse regularisation strength of the logistic regression
    folds: int = 3  # out-of-fold predictions for calibration and the scope scorer; 0: none
    seed: int = 0
    max_iter: int = 2000
    # scikit-learn's default; 1e-3 trains 3x faster but under-fits (CLINC150 val 96.8% -> ~95%)
    tol: float = 1e-4
    # The out-of-scope score also learns to flag in-scope messages the model gets wrong out of
    # fold. Helps when out-of-scope questions come from the company's own domain (BANKING77's
    # unseen intents), hurts when they come from others (CLINC150): see docs/signals.md.
    flag_misclassified: bool = False


@dataclass(frozen=True)
class HeldOut:
    """What training learnt of the model's quality on the company's own examples: each
    in-scope example as predicted by the fold's model that did not see it (out of fold, with
    the vote). Only examples whose intent that model knew are counted: an intent with one
    example is unknown to the fold holding it out. Not saved with the model."""

    pairs: tuple[tuple[str, str], ...]  # (intent, predicted intent), one per counted example

    @property
    def correct(self) -> int:
        return sum(actual == predicted for actual, predicted in self.pairs)

    def confusions(self) -> list[tuple[str, str, int, int]]:
        """(intent, taken for, times, the intent's counted examples), most frequent first."""
        totals = Counter(actual for actual, _ in self.pairs)
        wrong = Counter(pair for pair in self.pairs if pair[0] != pair[1])
        ranked = sorted(wrong.items(), key=lambda item: (-item[1], item[0]))
        return [(actual, taken, n, totals[actual]) for (actual, taken), n in ranked]


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
    vote_weight: float = 0.0  # share of the nearest examples' vote in the probabilities
    held_out: HeldOut | None = None  # set by training, not saved

    def features(self, texts: Sequence[str], vectors: Vectors | None) -> Matrix:
        return self.space.transform(texts, vectors)

    def probabilities(self, rows: Matrix) -> FloatArray:
        """The linear model's probabilities alone (no vote)."""
        logits = np.asarray(rows @ self.coef.T) + self.intercept
        result: FloatArray = softmax(logits, axis=1)
        return result

    def score(self, texts: Sequence[str], vectors: Vectors | None) -> Scored:
        """Blended probabilities, and each message's closest in-scope training example."""
        rows = self.features(texts, vectors)
        linear = self.probabilities(rows)
        similar = self.similarity_rows(rows, vectors)
        n = len(texts)
        if not len(self.examples):
            return Scored(rows, linear, np.zeros(n), np.full(n, -1, dtype=np.intp))
        blended = np.empty_like(linear)
        similarity, nearest = np.empty(n), np.empty(n, dtype=np.intp)
        for start in range(0, n, BLOCK):
            end = min(start + BLOCK, n)
            sims = similar[start:end] @ self.examples.T
            similarity[start:end], nearest[start:end] = sims.max(axis=1), sims.argmax(axis=1)
            part = linear[start:end]
            if self.vote_weight > 0:
                votes = neighbour_votes(sims, self.example_classes, len(self.labels))
                part = (1 - self.vote_weight) * part + self.vote_weight * votes
            blended[start:end] = part
        return Scored(rows, blended, similarity, nearest)

    def similarity_rows(self, rows: Matrix, vectors: Vectors | None) -> Vectors:
        return similarity_rows(self.space, rows, vectors)

    @cached_property
    def example_classes(self) -> npt.NDArray[np.intp]:
        """Each in-scope training example's column in ``labels`` (sorted), for the vote."""
        result: npt.NDArray[np.intp] = np.searchsorted(self.labels, self.example_labels)
        return result

    def scope_scores(self, probabilities: FloatArray, similarity: FloatArray) -> FloatArray:
        return self.scope.score(
            self.in_scope_max(probabilities), similarity, self.oos_probability(probabilities)
        )

    def oos_probability(self, probabilities: FloatArray) -> FloatArray | None:
        if OUT_OF_SCOPE not in self.labels:
            return None
        result: FloatArray = probabilities[:, self.labels.index(OUT_OF_SCOPE)]
        return result

    @cached_property
    def in_scope_columns(self) -> npt.NDArray[np.intp]:
        """The columns of ``labels`` that are intents (not out of scope)."""
        return np.flatnonzero(np.asarray(self.labels) != OUT_OF_SCOPE)

    def in_scope_best(self, probabilities: FloatArray) -> npt.NDArray[np.str_]:
        """The most probable in-scope label of each row."""
        keep = self.in_scope_columns
        result: npt.NDArray[np.str_] = np.asarray(self.labels)[
            keep[probabilities[:, keep].argmax(axis=1)]
        ]
        return result

    def in_scope_max(self, probabilities: FloatArray) -> FloatArray:
        result: FloatArray = probabilities[:, self.in_scope_columns].max(axis=1)
        return result


@dataclass(frozen=True)
class Scored:
    rows: Matrix
    probabilities: FloatArray
    similarity: FloatArray  # cosine to the closest in-scope training example
    nearest: npt.NDArray[np.intp]  # that example's row, -1 when there are none


def neighbour_votes(
    sims: npt.NDArray[np.floating], classes: npt.NDArray[np.intp], n_classes: int
) -> FloatArray:
    """Each row's vote of its ``VOTE_NEIGHBOURS`` most similar examples: a distribution over
    classes (``classes[j]``: example j's class) weighted by ``exp(sim / VOTE_TEMPERATURE)``."""
    k = min(VOTE_NEIGHBOURS, sims.shape[1])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(sims, top, axis=1).astype(np.float64)
    weights = np.exp((near - near.max(axis=1, keepdims=True)) / VOTE_TEMPERATURE)
    votes = np.zeros((len(sims), n_classes))
    np.add.at(votes, (np.repeat(np.arange(len(sims)), k), classes[top].ravel()), weights.ravel())
    result: FloatArray = votes / votes.sum(axis=1, keepdims=True)
    return result


def similarity_rows(space: FeatureSpace, rows: Matrix, vectors: Vectors | None) -> Vectors:
    """What nearest-example similarity is measured on: embeddings, else n-gram rows."""
    if vectors is not None and space.dense:
        return vectors
    return _ngram_rows(space, rows)


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


@dataclass(frozen=True)
class OutOfFold:
    """What models that never saw an example said about it."""

    logits: FloatArray  # (examples, classes)
    votes: FloatArray  # the nearest in-scope examples' vote, from the other folds
    seen: npt.NDArray[np.bool_]  # the fold's model knew the example's label


def _out_of_fold(
    rows: Matrix,
    similar: Vectors,
    labels: npt.NDArray[np.str_],
    strata: npt.NDArray[np.str_],
    options: TrainingOptions,
    classes: list[str],
    targets: npt.NDArray[np.intp],
) -> OutOfFold | None:
    """Logits and votes for each example from folds that held it out, and whether that fold
    knew the example's label (an intent with one example is unknown to the fold that holds it
    out). Folds are stratified by ``strata`` (the category), so small intents need not fill
    them."""
    _, counts = np.unique(strata, return_counts=True)
    folds = min(options.folds, int(counts.min()))
    if folds < 2:
        return None
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=options.seed)
    logits = np.full((len(labels), len(classes)), -1e4)
    votes = np.zeros((len(labels), len(classes)))
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
        voters = train[labels[train] != OUT_OF_SCOPE]
        for start in range(0, len(held), BLOCK) if len(voters) else ():
            block = held[start : start + BLOCK]
            sims = similar[block] @ similar[voters].T
            votes[block] = neighbour_votes(sims, targets[voters], len(classes))
    return OutOfFold(logits, votes, seen)


def choose_vote_weight(
    probabilities: FloatArray, votes: FloatArray, targets: npt.NDArray[np.intp]
) -> float:
    """The blend weight with the lowest log loss on out-of-fold predictions (a vote that
    adds nothing gets no weight). Log loss rather than accuracy: on BANKING77 the out-of-fold
    accuracy is flat from 0.2 to 0.4 (within 0.1 point), the log loss has one minimum."""
    rows = np.arange(len(targets))
    losses = [
        float(
            -np.log(
                (1 - w) * probabilities[rows, targets] + w * votes[rows, targets] + 1e-12
            ).mean()
        )
        for w in VOTE_WEIGHTS
    ]
    return float(VOTE_WEIGHTS[int(np.argmin(losses))])


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
    similar = similarity_rows(space, rows, vectors)
    targets = np.searchsorted(classes, label_array)
    say("out-of-fold predictions")
    found = None
    if len(classes) > 1 and options.folds >= 2:
        found = _out_of_fold(rows, similar, label_array, strata_array, options, classes, targets)
    say("final fit")
    coef, intercept = _final_weights(rows, labels, classes, options)
    beta, vote_weight, oof_probabilities = 1.0, 0.0, None
    if found is not None and found.seen.sum() >= MIN_CALIBRATION:
        seen = found.seen
        beta = fit_temperature(found.logits[seen], targets[seen])
        oof_probabilities = softmax(beta * found.logits, axis=1)
        vote_weight = choose_vote_weight(oof_probabilities[seen], found.votes[seen], targets[seen])
        oof_probabilities = (1 - vote_weight) * oof_probabilities + vote_weight * found.votes
    elif found is not None:
        oof_probabilities = softmax(found.logits, axis=1)
    in_scope = label_array != OUT_OF_SCOPE
    model = LinearModel(
        labels=tuple(classes),
        space=space,
        coef=coef * beta,
        intercept=intercept * beta,
        examples=np.ascontiguousarray(similar[in_scope]),
        example_labels=tuple(label_array[in_scope]),
        example_texts=tuple(t for t, keep in zip(texts, in_scope, strict=True) if keep),
        scope=ScopeScorer.untrained(),
        temperature=1.0 / beta,
        vote_weight=vote_weight,
    )
    oof_best = None
    if oof_probabilities is not None and found is not None:
        oof_best = model.in_scope_best(oof_probabilities)
        counted = in_scope & found.seen
        model.held_out = HeldOut(
            tuple(zip(map(str, label_array[counted]), map(str, oof_best[counted]), strict=True))
        )
    say("out-of-scope scorer")
    misread = oof_best if options.flag_misclassified else None
    model.scope = _fit_scope(model, similar, label_array, oof_probabilities, misread)
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
    flag_misread: npt.NDArray[np.str_] | None = None,
) -> ScopeScorer:
    """``flag_misread``: the out-of-fold best intents, when the score should also flag the
    examples they get wrong."""
    in_scope = labels != OUT_OF_SCOPE
    own_row = np.where(in_scope, np.cumsum(in_scope) - 1, -1)
    similarity = nearest_similarity(similar, model.examples, own_row)
    if oof_probabilities is None:
        return ScopeScorer.from_similarity(similarity[in_scope])
    max_in_scope = model.in_scope_max(oof_probabilities)
    oos = model.oos_probability(oof_probabilities)
    flagged = ~in_scope
    if flag_misread is not None:  # flagging a message the model gets wrong costs no accuracy
        flagged = flagged | (flag_misread != labels)
    return fit_scope_scorer(max_in_scope, similarity, flagged, oos)
