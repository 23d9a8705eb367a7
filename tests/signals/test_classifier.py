from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from relaydesk.knowledge.embeddings import Vectors
from relaydesk.signals import classifier as classifier_module
from relaydesk.signals.classifier import (
    UNKNOWN,
    CategoryClassifier,
    load_classifier,
    train_classifier,
)
from relaydesk.signals.model import HeldOut
from relaydesk.signals.persist import load_model, model_path, save_model
from relaydesk.signals.taxonomy import OUT_OF_SCOPE, Intent, Taxonomy, load_taxonomy

FIXTURE = """\
# a tiny shop
categories:
  - name: orders
    keywords: [order]
    examples:
      - "Where is my order?"
      - "My order has not arrived yet"
      - "Track my package please"
      - "When will my parcel be delivered?"
    intents:
      - name: cancel_order
        examples:
          - "Cancel my order please"
          - "I want to cancel the order I placed"
          - "How do I cancel an order?"
  - name: billing
    keywords: [card]
    examples:
      - "My card was declined"
      - "Can I pay with PayPal?"
      - "I need an invoice for my purchase"
      - "Why is there a pending charge on my card?"
      - "How do I update my payment card?"
  - name: account
    keywords: [password]
    examples:
      - "I forgot my password"
      - "How do I reset my password?"
      - "I am locked out of my account"
      - "Change the email on my account"
out_of_scope:
  examples:
    - "What is the weather tomorrow?"
    - "Tell me a joke"
    - "Who won the football game?"
    - "Recommend a movie to watch"
    - "What is the capital of France?"
"""


class WordHashEmbedder:
    """A stand-in for the sentence model: hashed words, unit length, deterministic."""

    model_id = "fake-words"
    dimensions = 384

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(map(ord, word.strip("?.!,"))) % self.dimensions] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@pytest.fixture
def categories_file(tmp_path: Path) -> Path:
    path = tmp_path / "categories.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    return path


@pytest.fixture(params=["ngrams", "dense"])
def trained(request: pytest.FixtureRequest, categories_file: Path) -> CategoryClassifier:
    embedder = WordHashEmbedder() if request.param == "dense" else None
    return train_classifier(load_taxonomy(categories_file), embedder)


def test_learns_the_categories_and_intents(trained: CategoryClassifier) -> None:
    result = trained.classify("where is my order, it has not arrived")
    assert result.category.name == "orders"
    assert result.category.evidence  # the closest example and the words that counted
    assert trained.classify("please cancel my order").intent.name == "cancel_order"
    assert trained.classify("my card got declined").category.name == "billing"


def test_probabilities_are_calibrated_and_sum_to_one(trained: CategoryClassifier) -> None:
    probabilities = trained.category_probabilities("I forgot my password")
    assert set(probabilities) == {"orders", "billing", "account", "out_of_scope"}
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert max(probabilities, key=probabilities.__getitem__) == "account"
    assert 0 < trained.model.temperature < 100


def test_off_topic_text_scores_higher_out_of_scope(trained: CategoryClassifier) -> None:
    on_topic = trained.classify("Where is my order?").out_of_scope.score
    off_topic = trained.classify("what is the weather in Paris tomorrow").out_of_scope.score
    assert off_topic > on_topic
    assert trained.classify("what is the weather in Paris tomorrow").category.name == UNKNOWN


@pytest.mark.parametrize(
    "message",
    ["", "   ", None, 42, b"my card was declined", "x" * 200_000, "Wo ist meine order? 注文はどこ"],
)
def test_any_input_gives_a_defined_result(trained: CategoryClassifier, message: object) -> None:
    result = trained.classify(message)
    assert 0.0 <= result.out_of_scope.score <= 1.0
    assert 0.0 <= result.category.confidence <= 1.0
    if message in ("", "   ", None):
        assert result.category.name == UNKNOWN
        assert result.out_of_scope.value


def test_batch_matches_one_at_a_time(trained: CategoryClassifier) -> None:
    texts = ["Cancel my order please", "Tell me a joke", "How do I reset my password?"]
    assert trained.classify_many(texts) == [trained.classify(t) for t in texts]


def test_the_cached_model_scores_like_the_trained_one(
    trained: CategoryClassifier, tmp_path: Path
) -> None:
    path = tmp_path / "model.npz"
    save_model(trained.model, path)
    loaded = CategoryClassifier(trained.taxonomy, load_model(path), trained.embedder)
    for text in ["my card was declined", "tell me a joke", "cancel my order"]:
        assert loaded.classify(text) == trained.classify(text)


def test_cache_is_reused_until_the_examples_change(
    categories_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    trainings: list[int] = []
    real = classifier_module.train_classifier

    def counting(*args: object, **kwargs: object) -> CategoryClassifier:
        trainings.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(classifier_module, "train_classifier", counting)
    load_classifier(categories_file, None, cache)
    load_classifier(categories_file, None, cache)
    assert len(trainings) == 1
    categories_file.write_text(FIXTURE.replace("# a tiny shop", "# a comment"), encoding="utf-8")
    load_classifier(categories_file, None, cache)
    assert len(trainings) == 1  # comments do not change what is learnt
    categories_file.write_text(FIXTURE.replace("Tell me a joke", "Sing me a song"), "utf-8")
    load_classifier(categories_file, None, cache)
    assert len(trainings) == 2
    load_classifier(categories_file, WordHashEmbedder(), cache)
    assert len(trainings) == 3  # another embedder, another model


def test_an_unreadable_cache_file_is_retrained(categories_file: Path, tmp_path: Path) -> None:
    taxonomy = load_taxonomy(categories_file)
    path = model_path(taxonomy, "tfidf", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    assert load_classifier(categories_file, None, tmp_path).classify("cancel my order")
    assert load_model(path).labels  # rewritten


def test_cache_dir_comes_from_the_environment(
    categories_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYDESK_CACHE_DIR", str(tmp_path / "env-cache"))
    load_classifier(categories_file, None)
    assert list((tmp_path / "env-cache" / "classifiers").glob("*.npz"))


def test_labelled_history_adds_examples(categories_file: Path) -> None:
    taxonomy = load_taxonomy(categories_file)
    history = [("the courier lost my box", "orders"), ("courier lost it again", "orders")]
    trained = train_classifier(taxonomy, None, history)
    assert trained.classify("courier lost my box").category.name == "orders"
    with pytest.raises(ValueError, match="not in the taxonomy"):
        train_classifier(taxonomy, None, [("hi", "no_such_intent")])


def test_taxonomy_rejects_duplicate_and_reserved_names() -> None:
    with pytest.raises(ValueError, match="unique"):
        Taxonomy(intents=(Intent("a", "x", ("hi",)), Intent("a", "y", ("yo",))))
    with pytest.raises(ValueError, match="reserved"):
        Taxonomy(intents=(Intent("out_of_scope", "x", ("hi",)),))


def test_a_category_without_examples_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("categories:\n  - name: orders\n    keywords: [order]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="at least one example"):
        load_taxonomy(path)


def test_the_demo_file_trains_and_keeps_the_policy_categories() -> None:
    demo = Path(classifier_module.__file__).parent.parent / "demo" / "categories.yaml"
    taxonomy = load_taxonomy(demo)
    assert {"account_closure", "fraud", "refunds", "orders"} <= set(taxonomy.categories)
    trained = train_classifier(taxonomy, None)
    assert trained.classify("Please delete my account").category.name == "account_closure"
    assert trained.classify("Who won the football game last night?").out_of_scope.value


def test_the_categories_file_can_ask_to_flag_misclassified_messages(tmp_path: Path) -> None:
    body = (
        "categories:\n  - name: orders\n    examples: [where is my order, track my parcel]\n"
        "  - name: refunds\n    examples: [refund my money, where is my refund]\n"
        "out_of_scope:\n  examples: [tell me a joke]\n"
    )
    path = tmp_path / "categories.yaml"
    path.write_text(body, encoding="utf-8")
    plain = load_taxonomy(path)
    path.write_text(body + "  flag_misclassified: true\n", encoding="utf-8")
    flagged = load_taxonomy(path)
    assert (plain.flag_misclassified, flagged.flag_misclassified) == (False, True)
    # Switching it retrains: the cached model's key changes.
    assert plain.fingerprint() != flagged.fingerprint()
    assert train_classifier(flagged, None).classify("where is my order").category.name == "orders"
    path.write_text(body + "  flag_misclassified: sometimes\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected true or false"):
        load_taxonomy(path)


def test_closeness_tells_same_domain_out_of_scope_examples_from_other_domains(
    categories_file: Path,
) -> None:
    taxonomy = load_taxonomy(categories_file)
    far = train_classifier(taxonomy, WordHashEmbedder())
    assert far.out_of_scope_closeness() == 0.0  # football, films, capitals: nothing like an intent
    texts, labels = taxonomy.labelled()
    in_scope = [text for text, label in zip(texts, labels, strict=True) if label != OUT_OF_SCOPE]
    # "Not ours" questions worded like the intents' own examples: every one is close.
    near = replace(taxonomy, out_of_scope=tuple(f"{text} please" for text in in_scope[:3]))
    assert train_classifier(near, WordHashEmbedder()).out_of_scope_closeness() == 1.0
    assert (
        train_classifier(replace(taxonomy, out_of_scope=()), None).out_of_scope_closeness() is None
    )


def test_training_holds_each_example_out_and_reports_what_came_back(
    categories_file: Path, tmp_path: Path
) -> None:
    taxonomy = load_taxonomy(categories_file)
    trained = train_classifier(taxonomy, None)
    held = trained.model.held_out
    assert held is not None
    _, labels = taxonomy.labelled()
    in_scope = sorted(label for label in labels if label != OUT_OF_SCOPE)
    # Every in-scope example is counted once, under its own intent; out-of-scope ones are not.
    assert sorted(actual for actual, _ in held.pairs) == in_scope
    assert {taken for _, taken in held.pairs} <= {intent.name for intent in taxonomy.intents}
    first = trained.held_out_report()[0]
    assert f"({held.correct} of {len(in_scope)})" in first
    # A model read back from the cache has no such figures: it was not trained here.
    path = tmp_path / "model.npz"
    save_model(trained.model, path)
    assert CategoryClassifier(taxonomy, load_model(path), None).held_out_report() == []


def test_the_report_names_the_intents_taken_for_others(categories_file: Path) -> None:
    taxonomy = load_taxonomy(categories_file)
    trained = train_classifier(taxonomy, None)
    pairs = (
        ("cancel_order", "orders"),  # same category
        ("cancel_order", "orders"),
        ("cancel_order", "cancel_order"),
        ("billing", "account"),  # another category
        ("billing", "billing"),
        ("account", "account"),
    )
    trained.model.held_out = HeldOut(pairs)
    assert trained.model.held_out.confusions() == [
        ("cancel_order", "orders", 2, 3),
        ("billing", "account", 1, 2),
    ]
    first, across, within = trained.held_out_report()
    assert "own intent back 50% of the time (3 of 6) and its category 83%" in first
    assert across == "most often taken for another category: billing as account (1 of 2)"
    assert within == (
        "most often taken for an intent of the same category: cancel_order as orders (2 of 3)"
    )
    trained.model.held_out = HeldOut((("billing", "billing"),))
    assert trained.held_out_report() == [
        "each example held out of training gets its own intent back 100% of the time "
        "(1 of 1) and its category 100%"
    ]
