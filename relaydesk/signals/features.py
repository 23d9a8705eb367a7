"""What the classifier sees of a message: a sentence embedding beside word and character
n-gram TF-IDF, side by side in one sparse row.

The embedding carries meaning across paraphrases; the n-grams carry the exact words a company's
customers use (product names, "top up", "SR-20481") and survive typos. Each block is
unit-normalised and weighted, so one linear model reads them all. Without the dense extra the
n-grams alone are used.

scikit-learn fits the vocabularies and transforms batches. One message at a time (the message
path) goes through ``_FastBlock`` instead: the same terms, counts, sublinear tf, idf and l2
norm in plain numpy, without scikit-learn's per-call validation and ``hstack`` (~1.5 ms a
message, against ~0.1 ms). Character n-grams are looked up per word and remembered, since a
word's n-grams never change; an email's 700 words are then 700 dictionary look-ups, not 16,000.
The rows agree with scikit-learn's to float32 rounding (tests/signals/test_features_fast.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

Matrix: TypeAlias = Any  # a scipy.sparse.csr_matrix (scipy ships no type hints)
FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int32]
WORDS_REMEMBERED = 20_000  # per vectorizer (a few MB); the word memo is emptied past it
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's own, before char_wb splits words
_NO_COLUMNS: IndexArray = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class FeatureWeights:
    """How much each block counts; 0 leaves a block out. The defaults were chosen on a
    held-out fifth of BANKING77's training set (92.45% there, against 91.70% for the
    embedding alone), never on a test split."""

    dense: float = 1.0
    words: float = 0.7
    chars: float = 0.3


def _word_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True, dtype=np.float32
    )


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32
    )


class FeatureSpace:
    """Fitted n-gram vocabularies plus the weights that join them with the embedding."""

    def __init__(self, weights: FeatureWeights, dense_dimensions: int) -> None:
        self.weights = weights
        self.dense = dense_dimensions > 0 and weights.dense > 0
        self.dense_dimensions = dense_dimensions if self.dense else 0
        self.words = _word_vectorizer() if weights.words > 0 else None
        self.chars = _char_vectorizer() if weights.chars > 0 else None
        self._fast: dict[str, _FastBlock] = {}

    def fit(self, texts: Sequence[str]) -> FeatureSpace:
        for vectorizer in (self.words, self.chars):
            if vectorizer is not None:
                _fit_tolerantly(vectorizer, texts)
        self._fast = {}
        return self

    def transform(self, texts: Sequence[str], vectors: npt.NDArray[np.float32] | None) -> Matrix:
        """One row per text: ``[dense * w_dense | words * w_words | chars * w_chars]``."""
        if len(texts) == 1:
            return self.transform_one(texts[0], None if vectors is None else vectors[0])
        blocks: list[Matrix] = []
        if self.dense:
            if vectors is None:
                raise ValueError("this feature space needs sentence embeddings")
            blocks.append(
                sparse.csr_matrix(vectors.astype(np.float32) * np.float32(self.weights.dense))
            )
        if self.words is not None:
            blocks.append(self.words.transform(texts) * np.float32(self.weights.words))
        if self.chars is not None:
            blocks.append(self.chars.transform(texts) * np.float32(self.weights.chars))
        if not blocks:
            raise ValueError("every feature block has weight 0")
        return sparse.csr_matrix(sparse.hstack(blocks, format="csr", dtype=np.float32))

    def transform_one(self, text: str, vector: npt.NDArray[np.float32] | None) -> Matrix:
        """``transform([text], vector[None])`` without scikit-learn's per-call overhead."""
        columns: list[IndexArray] = []
        values: list[npt.NDArray[np.float32]] = []
        offset = 0
        if self.dense:
            if vector is None:
                raise ValueError("this feature space needs sentence embeddings")
            row = np.asarray(vector, dtype=np.float32).reshape(-1) * np.float32(self.weights.dense)
            kept = np.flatnonzero(row).astype(np.int32)  # csr_matrix(dense) drops zeros too
            columns.append(kept)
            values.append(row[kept])
            offset = row.shape[0]
        for name, vectorizer, weight in (
            ("words", self.words, self.weights.words),
            ("chars", self.chars, self.weights.chars),
        ):
            if vectorizer is None:
                continue
            block = self._block(name, vectorizer)
            found, tfidf = block.row(text)
            columns.append(found + np.int32(offset))
            values.append(tfidf * np.float32(weight))
            offset += block.width
        if not columns:
            raise ValueError("every feature block has weight 0")
        indices = np.concatenate(columns)
        indptr = np.array([0, len(indices)], dtype=np.int32)
        return sparse.csr_matrix((np.concatenate(values), indices, indptr), shape=(1, offset))

    def _block(self, name: str, vectorizer: TfidfVectorizer) -> _FastBlock:
        block = self._fast.get(name)
        if block is None or block.vectorizer is not vectorizer:  # refitted or restored since
            block = self._fast[name] = _FastBlock(vectorizer)
        return block

    def terms(self) -> list[str]:
        """The word n-grams, in column order (for evidence)."""
        return [] if self.words is None else list(self.words.get_feature_names_out())


class _FastBlock:
    """One fitted vectorizer's tf-idf row for a single text, computed as scikit-learn does:
    counts of in-vocabulary terms, ``1 + log(tf)`` when sublinear, times idf, l2-normalised
    (squares summed in float64, as ``sklearn.preprocessing.normalize`` does for float32)."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.norm not in ("l2", None) or not vectorizer.use_idf:
            raise ValueError("the single-text path computes l2-normalised tf-idf only")
        self.vectorizer = vectorizer
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.width = len(self.vocabulary)
        self.idf = np.asarray(vectorizer.idf_)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.norm = vectorizer.norm
        self.dtype = np.dtype(vectorizer.dtype)
        self.analyze: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self.per_word = vectorizer.analyzer == "char_wb"
        if self.per_word:
            self.preprocess: Callable[[str], str] = vectorizer.build_preprocessor()
            self.min_n, self.max_n = vectorizer.ngram_range
        self._words: dict[str, IndexArray] = {}

    def row(self, text: str) -> tuple[IndexArray, npt.NDArray[np.float32]]:
        """Sorted column indices and their tf-idf values."""
        found = self._columns(text)
        if not len(found):
            return _NO_COLUMNS, np.zeros(0, dtype=self.dtype)
        if len(found) * 8 > self.width:  # an email against a small vocabulary: count densely
            dense_counts = np.bincount(found, minlength=self.width)
            columns = np.flatnonzero(dense_counts)
            counts = dense_counts[columns]
        else:
            columns, counts = np.unique(found, return_counts=True)
        tfidf = counts.astype(self.dtype)
        if self.sublinear:
            np.log(tfidf, tfidf)
            tfidf += 1.0
        tfidf *= self.idf[columns]
        if self.norm == "l2":
            norm = float(np.sqrt(np.sum(tfidf * tfidf, dtype=np.float64)))
            if norm > 0:
                tfidf = (tfidf / np.float64(norm)).astype(self.dtype)
        return columns.astype(np.int32), tfidf

    def _columns(self, text: str) -> IndexArray:
        if not self.per_word:
            vocabulary = self.vocabulary
            found = [vocabulary[term] for term in self.analyze(text) if term in vocabulary]
            return np.asarray(found, dtype=np.int32)
        words = _WHITE_SPACES.sub(" ", self.preprocess(text)).split()
        if not words:
            return _NO_COLUMNS
        return np.concatenate([self._word_columns(word) for word in words])

    def _word_columns(self, word: str) -> IndexArray:
        """The vocabulary columns of one word's char_wb n-grams (scikit-learn's loop)."""
        known = self._words.get(word)
        if known is not None:
            return known
        padded, vocabulary, found = f" {word} ", self.vocabulary, []
        for n in range(self.min_n, self.max_n + 1):
            grams = [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
            found += [vocabulary[g] for g in grams if g in vocabulary]
            if len(padded) <= n:  # a short word's padded self is counted once
                break
        if len(self._words) >= WORDS_REMEMBERED:
            self._words = {}
        columns = self._words[word] = np.asarray(found, dtype=np.int32)
        return columns


def _fit_tolerantly(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> None:
    """A vocabulary even from a handful of examples (``min_df=2`` may leave none)."""
    try:
        vectorizer.fit(texts)
    except ValueError:
        vectorizer.set_params(min_df=1)
        vectorizer.fit(list(texts) or ["empty"])


def space_state(space: FeatureSpace) -> tuple[dict[str, object], dict[str, npt.NDArray[Any]]]:
    """The fitted space as JSON-able metadata and arrays (no pickle)."""
    meta: dict[str, object] = {
        "weights": [space.weights.dense, space.weights.words, space.weights.chars],
        "dense_dimensions": space.dense_dimensions,
    }
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, vectorizer in (("words", space.words), ("chars", space.chars)):
        if vectorizer is not None:
            vocabulary = vectorizer.vocabulary_
            meta[f"{name}_vocabulary"] = sorted(vocabulary, key=vocabulary.__getitem__)
            arrays[f"{name}_idf"] = np.asarray(vectorizer.idf_)
    return meta, arrays


def space_from_state(meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> FeatureSpace:
    dense, words, chars = (float(w) for w in meta["weights"])
    space = FeatureSpace(FeatureWeights(dense, words, chars), int(meta["dense_dimensions"]))
    space.words = _restored(_word_vectorizer, meta, arrays, "words")
    space.chars = _restored(_char_vectorizer, meta, arrays, "chars")
    return space


def _restored(
    make: Callable[[], TfidfVectorizer],
    meta: dict[str, Any],
    arrays: dict[str, npt.NDArray[Any]],
    name: str,
) -> TfidfVectorizer | None:
    if f"{name}_vocabulary" not in meta:
        return None
    terms = meta[f"{name}_vocabulary"]
    vectorizer = make().set_params(vocabulary={term: i for i, term in enumerate(terms)})
    vectorizer.idf_ = arrays[f"{name}_idf"]
    return vectorizer
