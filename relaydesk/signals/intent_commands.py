"""``relaydesk eval banking77 | clinc150 | hint3 | dstc11``: the intent classifier and
out-of-scope detection on public data, each printed beside its published figure.

Every command takes ``--data-dir`` (default ``../shared/data``) or the dataset's own files with
``--train``/``--test``, prints dataset, split, n, metric and the published figure (``--json``
for machine-readable rows), is seeded, and exits 2 when the data is missing. Embeddings of the
dataset texts are cached (``RELAYDESK_CACHE_DIR``), so reruns skip the embedding.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from relaydesk.signals.eval_report import fail
from relaydesk.signals.evaluation import (
    NEIGHBOURS,
    Predictions,
    Result,
    accuracy,
    choose_threshold,
    cross_validate,
    few_shot,
    fit_predict,
    fit_validation_scope,
    scope_metrics,
)
from relaydesk.signals.intent_data import (
    DEFAULT_DATA_DIR,
    Examples,
    MissingData,
    read_banking77,
    read_clinc150,
    read_dstc11,
    read_hint3,
)
from relaydesk.signals.intent_report import (
    dataset_embedder,
    embed_all,
    method_name,
    print_results,
    steps,
)
from relaydesk.signals.model import TrainingOptions
from relaydesk.signals.taxonomy import OUT_OF_SCOPE

DataDir = Annotated[Path, typer.Option(help="Folder of the public datasets.")]
TrainFile = Annotated[Path | None, typer.Option("--train", help="Training file, dataset's format.")]
TestFile = Annotated[Path | None, typer.Option("--test", help="Test file, dataset's format.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the results as JSON.")]
Dense = Annotated[bool, typer.Option(help="Sentence embeddings; --no-dense: n-grams only.")]
Seed = Annotated[int, typer.Option(help="Seed for sampling, folds and the solver.")]
Folds = Annotated[int, typer.Option(help="Cross-validation folds.", min=2)]

LARSON = "Larson et al. 2019, BERT"
CLINC150_PUBLISHED = {"in_scope_accuracy": f"~96% {LARSON}", "oos_recall": f"~40% {LARSON}"}
SCOPE_METRICS = ("in_scope_accuracy", "oos_recall", "oos_precision", "auroc")
TARGET_IN_SCOPE = 0.95  # the floor for in-scope accuracy on test


def dataset_files(
    data_dir: Path, train: Path | None, test: Path | None, train_name: str, test_name: str
) -> tuple[Path, Path]:
    return train or data_dir / train_name, test or data_dir / test_name


def banking77(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    train: TrainFile = None,
    test: TestFile = None,
    as_json: JsonFlag = False,
    dense: Dense = True,
    seed: Seed = 0,
    shots: Annotated[int, typer.Option(help="Examples per intent for the few-shot run.")] = 10,
    repeats: Annotated[int, typer.Option(help="Few-shot samples to average.", min=1)] = 3,
) -> None:
    """BANKING77: test accuracy trained on the full training set and on 10 examples per intent.

    The product's training (three out-of-fold fits calibrate it and weigh the nearest-examples
    vote). Test measured 2026-12-04: 93.83% full / 84.5% 10-shot with the linear model alone,
    94.38% / 85.2% with the vote; the vote's k and temperature were chosen on a held-out fifth
    of train, its weight out of fold."""
    train_file, test_file = dataset_files(
        data_dir, train, test, "banking77/train.csv", "banking77/test.csv"
    )
    try:
        training, tested = read_banking77(train_file), read_banking77(test_file)
    except MissingData as error:
        fail(str(error))
    embedder = dataset_embedder(dense)
    vectors = embed_all(embedder, [training.texts, tested.texts], as_json)
    # The product's settings: the out-of-fold fits choose the neighbours' vote weight.
    options = TrainingOptions(seed=seed)
    method = method_name(embedder)
    results = [_banking_full(training, tested, vectors, options, method, as_json)]
    results.append(
        _banking_few(training, tested, vectors, options, method, shots, repeats, as_json)
    )
    print_results(results, as_json)


def _banking_full(
    training: Examples,
    tested: Examples,
    vectors: list[np.ndarray | None],
    options: TrainingOptions,
    method: str,
    quiet: bool,
) -> Result:
    with steps(quiet) as (_, say):
        (found,) = fit_predict(training, [tested.texts], vectors, options, say)
    return Result(
        "banking77",
        "test",
        f"{method}, full train ({len(training)})",
        len(tested),
        "accuracy",
        accuracy(found.labels, tested.labels),
        "93.4% USE+ConveRT (Casanueva et al. 2020)",
        {"vote_weight": found.model.vote_weight},
    )


def _banking_few(
    training: Examples,
    tested: Examples,
    vectors: list[np.ndarray | None],
    options: TrainingOptions,
    method: str,
    shots: int,
    repeats: int,
    quiet: bool,
) -> Result:
    scores = []
    index = {text: i for i, text in enumerate(training.texts)}
    for repeat in range(repeats):
        sample = few_shot(training, shots, options.seed + repeat)
        rows = None if vectors[0] is None else vectors[0][[index[t] for t in sample.texts]]
        with steps(quiet) as (_, say):
            (found,) = fit_predict(sample, [tested.texts], [rows, vectors[1]], options, say)
        scores.append(accuracy(found.labels, tested.labels))
    return Result(
        "banking77",
        "test",
        f"{method}, {shots}-shot, mean of {repeats} samples",
        len(tested),
        "accuracy",
        float(np.mean(scores)),
        "85.2% USE+ConveRT 10-shot (Casanueva et al. 2020)",
        {"std": float(np.std(scores)), "min": min(scores), "max": max(scores)},
    )


def clinc150(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    train: TrainFile = None,
    test: TestFile = None,
    as_json: JsonFlag = False,
    dense: Dense = True,
    seed: Seed = 0,
    floor: Annotated[
        float,
        typer.Option(
            help="In-scope accuracy to keep on validation when choosing the out-of-scope threshold."
        ),
    ] = 0.955,
) -> None:
    """CLINC150: in-scope accuracy and out-of-scope recall, precision and AUROC on the test
    split. Trained on train + oos_train; the threshold is chosen on val + oos_val.

    With embeddings, a second scorer is reported beside the product's: a logistic regression
    fitted on val + oos_val over max-probability, kNN-20 similarity and Mahalanobis distance,
    its threshold chosen on cross-fitted val scores. Measured on test (2026-12-04) it did not
    beat the product's scorer (AUROC 0.975 against 0.979 then, 0.980 now; 100 out-of-scope
    validation examples are too few to fit on), so the product keeps the train-fitted scorer.

    Measured on test once each, 2026-12-04: before the nearest-examples vote and the
    out-of-scope probability view (both chosen on BANKING77 train / CLINC150 val), 79.2%
    out-of-scope recall at 94.98% in-scope accuracy; after, 82.7% at 95.02%. Training on
    train + val with the threshold from cross-fitted val (2026-12-05, docs/signals.md) gave
    91.3% at 93.87%, under the floor, so the eval trains on train alone.

    Two diagnostic rows, read off test and labelled as not results, say what the scores
    allow: the intent accuracy with nothing flagged, and the best recall any threshold keeping
    95% in-scope accuracy reaches (83.3% for seed 0: under the target whatever the threshold)."""
    full = "clinc150_oos/data_full.json"  # one file holds every split
    train_file, test_file = dataset_files(data_dir, train, test, full, full)
    try:
        training = _oos_label(read_clinc150(train_file, "train", "oos_train"))
        validation = _oos_label(read_clinc150(train_file, "val", "oos_val"))
        tested = _oos_label(read_clinc150(test_file, "test", "oos_test"))
    except MissingData as error:
        fail(str(error))
    embedder = dataset_embedder(dense)
    vectors = embed_all(embedder, [training.texts, validation.texts, tested.texts], as_json)
    with steps(as_json) as (_, say):
        val, test_found = fit_predict(
            training, [validation.texts, tested.texts], vectors, TrainingOptions(seed=seed), say
        )
    threshold = choose_threshold(val.scope, *_truth(val.labels, validation), floor)
    truth = _truth(test_found.labels, tested)
    found = scope_metrics(test_found.scope, *truth, threshold)
    default_cut = scope_metrics(test_found.scope, *truth, 0.5)
    method = f"{method_name(embedder)}, threshold {threshold:.3f} from val"
    # AUROC does not depend on the threshold.
    at_half = {m: {"at_0.5": default_cut[m]} for m in SCOPE_METRICS if m != "auroc"}
    results = _scope_rows(method, len(tested), found, at_half)
    results += _headroom_rows(method_name(embedder), test_found.scope, truth)
    results.append(
        Result(
            "clinc150",
            "val",
            "chosen out-of-scope threshold",
            len(validation),
            "threshold",
            threshold,
            "—",
            {"floor": floor},
        )
    )
    if vectors[1] is not None and vectors[2] is not None:
        results += _validation_fitted(
            val, test_found, validation, tested, vectors[1], vectors[2], floor, seed
        )
    print_results(results, as_json)


def _validation_fitted(
    val: Predictions,
    test_found: Predictions,
    validation: Examples,
    tested: Examples,
    val_vectors: np.ndarray,
    test_vectors: np.ndarray,
    floor: float,
    seed: int,
) -> list[Result]:
    """The out-of-scope score fitted on validation (max-probability + kNN + Mahalanobis)."""
    scorer = fit_validation_scope(
        val, val_vectors, *_truth(val.labels, validation), floor, seed=seed
    )
    scores = scorer.score(test_found, test_vectors)
    found = scope_metrics(scores, *_truth(test_found.labels, tested), scorer.threshold)
    method = (
        f"val-fitted LR on max-prob + kNN-{NEIGHBOURS} + Mahalanobis, "
        f"threshold {scorer.threshold:.3f} from cross-fitted val"
    )
    return _scope_rows(method, len(tested), found)


def _scope_rows(
    method: str,
    n: int,
    found: dict[str, float],
    details: dict[str, dict[str, float]] | None = None,
) -> list[Result]:
    """CLINC150's test rows for one way of scoring and thresholding."""
    return [
        Result(
            "clinc150",
            "test",
            method,
            n,
            metric,
            found[metric],
            CLINC150_PUBLISHED.get(metric, "—"),
            (details or {}).get(metric, {}),
        )
        for metric in SCOPE_METRICS
    ]


def _headroom_rows(
    method: str, scores: np.ndarray, truth: tuple[np.ndarray, np.ndarray]
) -> list[Result]:
    """Diagnostics read off test, not results: the intent accuracy with nothing flagged (what
    there is to spend on flags before in-scope accuracy falls to 95%), and the best
    out-of-scope recall that any threshold keeping 95% could reach, the threshold chosen on
    test itself. When that bound is under the target, no way of choosing the threshold meets
    it: the scores' ranking is the limit."""
    correct, is_oos = truth
    bound = choose_threshold(scores, correct, is_oos, TARGET_IN_SCOPE)
    at_bound = scope_metrics(scores, correct, is_oos, bound)
    nothing = scope_metrics(scores, correct, is_oos, float("inf"))["in_scope_accuracy"]
    n = len(correct)
    return [
        Result(
            "clinc150", "test", f"{method}, nothing flagged", n, "in_scope_accuracy", nothing, "—"
        ),
        Result(
            "clinc150",
            "test",
            f"{method}, threshold read off test: the upper bound at "
            f"{TARGET_IN_SCOPE:.0%} in-scope accuracy, not a result",
            n,
            "oos_recall",
            at_bound["oos_recall"],
            "—",
            {"threshold": bound, "in_scope_accuracy": at_bound["in_scope_accuracy"]},
        ),
    ]


def _oos_label(examples: Examples) -> Examples:
    labels = [OUT_OF_SCOPE if label == "oos" else label for label in examples.labels]
    return Examples(examples.texts, labels)


def _truth(predicted: list[str], examples: Examples) -> tuple[np.ndarray, np.ndarray]:
    correct = np.asarray([p == a for p, a in zip(predicted, examples.labels, strict=True)])
    return correct, np.asarray(examples.labels) == OUT_OF_SCOPE


def hint3(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    train: TrainFile = None,
    test: TestFile = None,
    as_json: JsonFlag = False,
    dense: Dense = True,
    seed: Seed = 0,
    folds: Folds = 5,
) -> None:
    """HINT3 (three production bots): stratified k-fold accuracy on each bot's training set,
    or train on --train and test on --test when both are given."""
    if train is not None:
        bots = {train.stem: train}
    else:
        folder = data_dir / "hint3/dataset/v2/train"
        bots = {
            name: folder / f"{name}_train.csv"
            for name in ("sofmattress", "curekart", "powerplay11")
        }
    published = "0.69-0.75, platforms on its test set (HINT3)"
    results = [
        _cross_or_test(
            "hint3", name, path, test, read_hint3, published, dense, seed, folds, as_json
        )
        for name, path in bots.items()
    ]
    print_results(results, as_json)


def dstc11(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    train: TrainFile = None,
    test: TestFile = None,
    as_json: JsonFlag = False,
    dense: Dense = True,
    seed: Seed = 0,
    folds: Folds = 5,
) -> None:
    """DSTC11 intent induction, development set (insurance calls): stratified k-fold intent
    accuracy, or train on --train and test on --test when both are given."""
    path = train or data_dir / "dstc11_intent_induction/development-utterances.jsonl"
    published = "none supervised (Track 2 clusters)"
    print_results(
        [
            _cross_or_test(
                "dstc11",
                "development",
                path,
                test,
                read_dstc11,
                published,
                dense,
                seed,
                folds,
                as_json,
            )
        ],
        as_json,
    )


def _cross_or_test(
    dataset: str,
    name: str,
    path: Path,
    test: Path | None,
    read: Callable[[Path], Examples],
    published: str,
    dense: bool,
    seed: int,
    folds: int,
    quiet: bool,
) -> Result:
    try:
        training = read(path)
        tested = read(test) if test is not None else None
    except MissingData as error:
        fail(str(error))
    embedder = dataset_embedder(dense)
    options = TrainingOptions(seed=seed)
    lists = [training.texts] + ([tested.texts] if tested is not None else [])
    vectors = embed_all(embedder, lists, quiet)
    with steps(quiet) as (_, say):
        if tested is None:
            predicted = cross_validate(training, vectors[0], folds, options, say)
            return Result(
                dataset,
                f"{name} train, {folds}-fold CV",
                method_name(embedder),
                len(training),
                "accuracy",
                accuracy(predicted, training.labels),
                published,
            )
        (found,) = fit_predict(training, [tested.texts], vectors, options, say)
    return Result(
        dataset,
        f"{name} -> {test}",
        method_name(embedder),
        len(tested),
        "accuracy",
        accuracy(found.labels, tested.labels),
        published,
    )
