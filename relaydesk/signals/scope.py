"""Out-of-scope: how likely a message is to be none of the company's intents.

Three views are joined: how sure the classifier is of its best in-scope intent, how close the
message comes to the nearest training example (cosine similarity), and the probability the
classifier gives the out-of-scope class itself (when the company gave out-of-scope examples). A
confident-but-far message (a sentence that happens to share a word) and a close-but-torn one
(two intents alike) each look in scope on one view only. A small logistic model, fitted on
out-of-fold predictions for the in-scope examples and on the out-of-scope examples, turns them
into one score in 0..1. On CLINC150's validation split (cross-fitted there, to compare views),
adding the out-of-scope probability raised AUROC from 0.986 to 0.988 and the recall at 95.5%
in-scope accuracy from 0.86 to 0.89.
With no out-of-scope examples at all, the score comes from similarity alone: 0.5 at the 5th
percentile of how close in-scope examples come to each other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

FloatArray = npt.NDArray[np.float64]
Vectors = npt.NDArray[np.float32]
BLOCK = 2048


@dataclass(frozen=True)
class ScopeScorer:
    """``sigmoid(w_prob * max_in_scope_probability + w_sim * similarity
    + w_oos * log(out_of_scope_probability) + bias)``."""

    w_prob: float
    w_sim: float
    bias: float
    w_oos: float = 0.0

    @classmethod
    def untrained(cls) -> ScopeScorer:
        return cls(w_prob=0.0, w_sim=0.0, bias=-10.0)

    @classmethod
    def from_similarity(cls, in_scope_similarity: FloatArray) -> ScopeScorer:
        if len(in_scope_similarity) < 2:
            return cls(w_prob=0.0, w_sim=-12.0, bias=6.0)  # 0.5 at similarity 0.5
        low, middle = np.percentile(in_scope_similarity, [5, 50])
        slope = math.log(9) / max(float(middle - low), 0.02)  # 0.1 at the median
        return cls(w_prob=0.0, w_sim=-slope, bias=slope * float(low))

    def score(
        self, max_in_scope: FloatArray, similarity: FloatArray, oos: FloatArray | None = None
    ) -> FloatArray:
        z = self.w_prob * max_in_scope + self.w_sim * similarity + self.bias
        if oos is not None and self.w_oos:
            z = z + self.w_oos * log_probability(oos)
        result: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        return result


def log_probability(p: FloatArray) -> FloatArray:
    result: FloatArray = np.log(np.clip(p, 1e-9, 1.0))
    return result


def fit_scope_scorer(
    max_in_scope: FloatArray,
    similarity: FloatArray,
    out_of_scope: npt.NDArray[np.bool_],
    oos_probability: FloatArray | None = None,
) -> ScopeScorer:
    """Fitted on both classes, each weighted equally whatever their counts.
    ``oos_probability``: the classifier's out-of-scope class, when it has one."""
    if out_of_scope.all() or not out_of_scope.any():
        return ScopeScorer.from_similarity(similarity[~out_of_scope])
    views = [max_in_scope, similarity]
    if oos_probability is not None:
        views.append(log_probability(oos_probability))
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000)
    model.fit(np.column_stack(views), out_of_scope)
    weights, bias = model.coef_[0], float(model.intercept_[0])
    w_oos = float(weights[2]) if oos_probability is not None else 0.0
    return ScopeScorer(w_prob=float(weights[0]), w_sim=float(weights[1]), bias=bias, w_oos=w_oos)


def nearest_similarity(
    queries: Vectors, examples: Vectors, self_index: npt.NDArray[np.intp] | None = None, k: int = 1
) -> FloatArray:
    """Mean cosine similarity of each (unit-length) query to its ``k`` nearest examples.

    ``self_index[i]`` is query i's own row in ``examples`` (or -1), which is skipped, so a
    training example is measured against the others only.
    """
    result = np.zeros(len(queries))
    if len(examples) == 0:
        return result
    k = max(1, min(k, len(examples) - (0 if self_index is None else 1)))
    for start in range(0, len(queries), BLOCK):
        block = queries[start : start + BLOCK] @ examples.T
        if self_index is not None:
            rows = np.arange(len(block))
            own = self_index[start : start + BLOCK]
            block[rows[own >= 0], own[own >= 0]] = -np.inf
        top = -np.partition(-block, k - 1, axis=1)[:, :k] if k > 1 else block.max(axis=1)[:, None]
        result[start : start + len(block)] = np.where(np.isfinite(top), top, 0.0).mean(axis=1)
    return result


@dataclass(frozen=True)
class Mahalanobis:
    """Distance to the nearest intent's mean under one covariance shared by all intents
    (Lee et al. 2018), shrunk toward its average variance so 384 dimensions stay invertible.
    Stored whitened: distances are then plain Euclidean ones."""

    whitening: FloatArray  # (dimensions, dimensions)
    means: FloatArray  # (intents, dimensions), whitened

    @classmethod
    def fit(cls, vectors: Vectors, labels: Sequence[str], shrinkage: float = 0.1) -> Mahalanobis:
        data = np.asarray(vectors, dtype=np.float64)
        names = np.asarray(labels)
        classes = sorted(set(labels))
        means = np.stack([data[names == label].mean(axis=0) for label in classes])
        centred = data - means[np.searchsorted(classes, names)]
        covariance = centred.T @ centred / max(len(data), 1)
        average = float(np.trace(covariance)) / max(len(covariance), 1)
        shrunk = (1 - shrinkage) * covariance + shrinkage * max(average, 1e-9) * np.eye(
            len(covariance)
        )
        values, vectors_ = np.linalg.eigh(shrunk)
        whitening = vectors_ / np.sqrt(np.maximum(values, 1e-12))
        return cls(whitening=whitening, means=means @ whitening)

    def distance(self, queries: Vectors) -> FloatArray:
        """Squared distance of each query to its nearest intent mean."""
        white = np.asarray(queries, dtype=np.float64) @ self.whitening
        result = np.empty(len(white))
        norms = (self.means**2).sum(axis=1)
        for start in range(0, len(white), BLOCK):
            block = white[start : start + BLOCK]
            squared = (block**2).sum(axis=1)[:, None] + norms[None, :] - 2 * block @ self.means.T
            result[start : start + len(block)] = np.maximum(squared.min(axis=1), 0.0)
        return result
