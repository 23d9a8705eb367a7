"""The category and intent of a message, and whether it is out of scope, learnt from the
company's examples.

``load_classifier(categories_file)`` returns a trained ``CategoryClassifier``: from the cache
when one was built from the same examples with the same embedder, else trained now (the demo's
examples take well under 2 s) and cached. ``classify(text)`` gives the category and intent with
calibrated confidences and an out-of-scope score, each with the evidence behind it. Messages are
read with the knowledge base's sentence embedder when the dense extra is installed, and by word
and character n-grams alone when it is not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import typer

from relaydesk.knowledge.embeddings import Embedder, load_embedder
from relaydesk.signals.features import Matrix
from relaydesk.signals.model import FloatArray, LinearModel, TrainingOptions, train_linear_model
from relaydesk.signals.persist import load_model, model_path, save_model
from relaydesk.signals.scope import nearest_similarity
from relaydesk.signals.taxonomy import OUT_OF_SCOPE, Taxonomy, load_taxonomy
from relaydesk.signals.types import CategorySignal, Signal

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
MAX_CHARS = 4000  # beyond this only the start is read: the embedder sees 256 tokens anyway
NO_DENSE = "tfidf"


@dataclass(frozen=True)
class Classification:
    category: CategorySignal
    intent: CategorySignal
    out_of_scope: Signal


def _as_text(message: object) -> tuple[str, list[str]]:
    """Any input as text to classify, with notes on what was done to it."""
    notes: list[str] = []
    if isinstance(message, bytes):
        message, notes = message.decode("utf-8", "replace"), ["bytes decoded as UTF-8"]
    elif not isinstance(message, str):
        notes = [f"not text ({type(message).__name__})"]
        message = "" if message is None else str(message)
    if len(message) > MAX_CHARS:
        message, notes = message[:MAX_CHARS], [*notes, f"read the first {MAX_CHARS} characters"]
    return message.strip(), notes


@dataclass(frozen=True)
class _Scored:
    texts: list[str]
    rows: Matrix
    probabilities: FloatArray
    similarity: FloatArray  # to the closest training example
    nearest: npt.NDArray[np.intp]  # that example's row, -1 when there are none


class CategoryClassifier:
    """A trained model over the taxonomy's intents; categories sum their intents' probability."""

    def __init__(self, taxonomy: Taxonomy, model: LinearModel, embedder: Embedder | None) -> None:
        self.taxonomy = taxonomy
        self.model = model
        self.embedder = embedder
        self.embedder_id = embedder.model_id if embedder is not None else NO_DENSE
        self._category_of = [taxonomy.category_of(label) for label in model.labels]
        self._terms = np.asarray(model.space.terms(), dtype=object)

    def classify(self, message: object, keep_category: bool = False) -> Classification:
        return self.classify_many([message], keep_category)[0]

    def classify_many(
        self, messages: Sequence[object], keep_category: bool = False
    ) -> list[Classification]:
        """``keep_category``: an out-of-scope message keeps its closest category and intent
        (the message path: the policy, not the classifier, decides what out of scope means,
        and a high-risk category must stay visible); by default both become ``unknown``."""
        prepared = [_as_text(message) for message in messages]
        scored = self._score([text for text, _ in prepared])
        scope = self.model.scope_scores(scored.probabilities, scored.similarity)
        return [
            self._explain(scored, i, float(scope[i]), notes, keep_category)
            for i, (_, notes) in enumerate(prepared)
        ]

    def category_probabilities(self, message: object) -> dict[str, float]:
        """Calibrated probability of each category (and ``out_of_scope``); they sum to 1."""
        probabilities = self._score([_as_text(message)[0]]).probabilities[0]
        totals: dict[str, float] = dict.fromkeys(self.taxonomy.categories, 0.0)
        for category, p in zip(self._category_of, probabilities, strict=True):
            totals[category] = totals.get(category, 0.0) + float(p)
        return totals

    def _score(self, texts: list[str]) -> _Scored:
        vectors = None
        if self.embedder is not None and self.model.space.dense:
            vectors = self.embedder.embed([text or " " for text in texts])
        found = self.model.score(texts, vectors)
        return _Scored(texts, found.rows, found.probabilities, found.similarity, found.nearest)

    def _explain(
        self, scored: _Scored, i: int, scope: float, notes: list[str], keep_category: bool = False
    ) -> Classification:
        if not scored.texts[i]:
            empty = CategorySignal(name=UNKNOWN, confidence=0.0, evidence=("empty message",))
            out = Signal(value=True, score=1.0, evidence=("empty message", *notes))
            return Classification(category=empty, intent=empty, out_of_scope=out)
        probabilities = scored.probabilities[i]
        category, category_p = self._best_category(probabilities)
        intent = self._best_intent(probabilities, category)
        best = float(self.model.in_scope_max(probabilities[None, :])[0])
        out = Signal(
            value=scope >= self.taxonomy.oos_threshold,
            score=round(scope, 3),
            evidence=(
                f"best intent probability {best:.2f}",
                f"closest example similarity {scored.similarity[i]:.2f}",
                *notes,
            ),
        )
        if out.value and not keep_category:
            guess = (f"closest category {category} ({category_p:.2f})",)
            unknown = CategorySignal(name=UNKNOWN, confidence=out.score, evidence=guess)
            return Classification(category=unknown, intent=unknown, out_of_scope=out)
        evidence = self._evidence(scored, i, intent)
        return Classification(
            category=CategorySignal(
                name=category, confidence=round(category_p, 3), evidence=evidence
            ),
            intent=CategorySignal(
                name=self.model.labels[intent],
                confidence=round(float(probabilities[intent]), 3),
                evidence=evidence,
            ),
            out_of_scope=out,
        )

    def out_of_scope_closeness(self) -> float | None:
        """The share of the out-of-scope examples that come as close to some intent's example
        as all but the loneliest tenth of the intents' own examples come to each other: near 0
        when "not ours" means another domain (CLINC150 with MiniLM: 4%), higher when it means
        questions from the company's own (BANKING77's unseen intents: 24-45%). None without
        examples."""
        examples = self.model.examples
        if not self.taxonomy.out_of_scope or len(examples) < 2:
            return None
        own = nearest_similarity(examples, examples, np.arange(len(examples), dtype=np.intp))
        outside = self._score(list(self.taxonomy.out_of_scope)).similarity
        return float(np.mean(outside > np.percentile(own, 10)))

    def _best_category(self, probabilities: Any) -> tuple[str, float]:
        totals: dict[str, float] = {}
        for category, p in zip(self._category_of, probabilities, strict=True):
            if category != OUT_OF_SCOPE:
                totals[category] = totals.get(category, 0.0) + float(p)
        name = max(totals, key=totals.__getitem__)
        return name, totals[name]

    def _best_intent(self, probabilities: Any, category: str) -> int:
        members = [i for i, c in enumerate(self._category_of) if c == category]
        return max(members, key=lambda i: float(probabilities[i]))

    def _evidence(self, scored: _Scored, i: int, intent: int) -> tuple[str, ...]:
        found: list[str] = []
        nearest = int(scored.nearest[i])
        if nearest >= 0:
            found.append(f'like "{self.model.example_texts[nearest]}"')
        found += [f"word '{term}'" for term in self._top_terms(scored.rows[i], intent)]
        return tuple(found)

    def held_out_report(self, top: int = 3) -> list[str]:
        """How often the examples' own intent and category come back when each example is held
        out of training, and the intents most often taken for another: where the categories
        file needs more, or more distinct, examples. Empty when training could not hold any
        out (a model from the cache, or too few examples)."""
        held = self.model.held_out
        if held is None or not held.pairs:
            return []
        n, of = len(held.pairs), self.taxonomy.category_of
        same_category = sum(of(actual) == of(taken) for actual, taken in held.pairs)
        lines = [
            f"each example held out of training gets its own intent back {held.correct / n:.0%} "
            f"of the time ({held.correct} of {n}) and its category {same_category / n:.0%}"
        ]
        # Another category changes what the policy sees; another intent of the same one, less.
        for where, across in (
            ("another category", True),
            ("an intent of the same category", False),
        ):
            mixed = [
                f"{actual} as {taken} ({times} of {total})"
                for actual, taken, times, total in held.confusions()
                if (of(actual) != of(taken)) == across
            ]
            if mixed:
                lines.append(f"most often taken for {where}: " + "; ".join(mixed[:top]))
        return lines

    def _top_terms(self, row: Any, intent: int, keep: int = 3) -> list[str]:
        """The message's words that pushed hardest towards this intent."""
        space = self.model.space
        if space.words is None or not len(self._terms):
            return []
        start = space.dense_dimensions
        block = row[:, start : start + len(self._terms)].tocoo()
        weights = block.data * self.model.coef[intent, start + block.col]
        order = np.argsort(-weights)[:keep]
        return [str(self._terms[block.col[i]]) for i in order if weights[i] > 0]


def train_classifier(
    taxonomy: Taxonomy,
    embedder: Embedder | None,
    history: Sequence[tuple[str, str]] = (),
    options: TrainingOptions | None = None,
) -> CategoryClassifier:
    """Learn from the taxonomy's examples plus labelled history (text, intent name)."""
    texts, labels = taxonomy.labelled()
    known = {intent.name for intent in taxonomy.intents} | {OUT_OF_SCOPE}
    for text, label in history:
        if label not in known:
            raise ValueError(f"labelled history names intent {label!r}, not in the taxonomy")
        texts.append(text)
        labels.append(label)
    vectors = embedder.embed(texts) if embedder is not None else None
    strata = [taxonomy.category_of(label) for label in labels]
    options = options or TrainingOptions(flag_misclassified=taxonomy.flag_misclassified)
    model = train_linear_model(texts, labels, vectors, options, strata)
    return CategoryClassifier(taxonomy, model, embedder)


def _default_embedder() -> Embedder | None:
    embedder, reason = load_embedder()
    if embedder is None:
        log.info("category classifier on word and character n-grams: %s", reason)
    return embedder


def load_classifier(
    categories_file: Path,
    embedder: Embedder | str | None = "default",
    cache: Path | None = None,
    retrain: bool = False,
) -> CategoryClassifier:
    """The classifier for this file's examples: from the cache, or trained now and cached.

    ``embedder="default"`` is the knowledge base's embedder when installed; ``None`` forces
    n-grams only. ``cache`` defaults to ``RELAYDESK_CACHE_DIR``.
    """
    chosen = _default_embedder() if embedder == "default" else embedder
    assert not isinstance(chosen, str)
    taxonomy = load_taxonomy(categories_file)
    path = model_path(taxonomy, chosen.model_id if chosen else NO_DENSE, cache)
    if not retrain and path.exists():
        try:
            return CategoryClassifier(taxonomy, load_model(path), chosen)
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring unreadable classifier cache %s: %s", path, error)
    classifier = train_classifier(taxonomy, chosen)
    save_model(classifier.model, path)
    return classifier


def train(
    categories_file: Annotated[
        Path | None,
        typer.Option(help="Categories file (default: RELAYDESK_CATEGORIES_FILE, else the demo's)."),
    ] = None,
    dense: Annotated[
        bool, typer.Option(help="Use sentence embeddings when installed; --no-dense: n-grams.")
    ] = True,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Where models are cached (default: RELAYDESK_CACHE_DIR).")
    ] = None,
) -> None:
    """Train the category and intent classifier from the categories file and cache it."""
    import time

    from relaydesk.settings import Settings

    settings = Settings()
    path = categories_file or settings.categories_file
    started = time.perf_counter()
    try:
        embedder = "default" if dense and settings.dense_retrieval else None
        classifier = load_classifier(path, embedder, cache_dir, retrain=True)
    except (OSError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    seconds = time.perf_counter() - started
    taxonomy = classifier.taxonomy
    features = "n-grams" if classifier.embedder is None else f"{classifier.embedder_id} + n-grams"
    examples = sum(len(i.examples) for i in taxonomy.intents) + len(taxonomy.out_of_scope)
    typer.echo(
        f"trained on {examples} examples: {len(taxonomy.categories)} categories, "
        f"{len(taxonomy.intents)} intents, {len(taxonomy.out_of_scope)} out-of-scope examples; "
        f"features: {features}; {seconds:.1f} s\n"
        f"cached at {model_path(taxonomy, classifier.embedder_id, cache_dir)}"
    )
    for line in classifier.held_out_report():
        typer.echo(line)
    # The reference figures are MiniLM's; n-gram similarity is on another scale.
    closeness = classifier.out_of_scope_closeness() if classifier.embedder else None
    if closeness is not None:
        flagging = "on" if taxonomy.flag_misclassified else "off"
        typer.echo(
            f"out-of-scope examples as close to an intent as its own examples are: "
            f"{closeness:.0%} (CLINC150's other-domain questions 4%, BANKING77's unseen intents "
            f"24-45%); flag_misclassified is {flagging}: see docs/signals.md"
        )
