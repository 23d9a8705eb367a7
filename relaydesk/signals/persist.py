"""A trained model as one ``.npz`` file: arrays plus a JSON header, never a pickle, so a
cache file can be read without running code and survives a scikit-learn upgrade.

The file name is a hash of the examples (the taxonomy's fingerprint), the embedder's id and
``FORMAT``: a changed categories file or another embedder gets a new model, an unchanged one
reuses the cached model.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from relaydesk.signals.cache import cache_dir, write_atomically
from relaydesk.signals.features import space_from_state, space_state
from relaydesk.signals.model import LinearModel
from relaydesk.signals.scope import ScopeScorer
from relaydesk.signals.taxonomy import Taxonomy

FORMAT = "relaydesk-classifier-2"


def model_path(taxonomy: Taxonomy, embedder_id: str, cache: Path | None = None) -> Path:
    key = hashlib.sha256(f"{FORMAT}\n{embedder_id}\n{taxonomy.fingerprint()}".encode())
    return (cache or cache_dir()) / "classifiers" / f"{key.hexdigest()[:32]}.npz"


def save_model(model: LinearModel, path: Path) -> None:
    space_meta, arrays = space_state(model.space)
    header = {
        "format": FORMAT,
        "labels": list(model.labels),
        "example_labels": list(model.example_labels),
        "example_texts": list(model.example_texts),
        "scope": [model.scope.w_prob, model.scope.w_sim, model.scope.bias, model.scope.w_oos],
        "temperature": model.temperature,
        "vote_weight": model.vote_weight,
        "space": space_meta,
    }
    arrays |= {
        "coef": model.coef,
        "intercept": model.intercept,
        "examples": model.examples,
        "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
    }
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    write_atomically(path, buffer.getvalue())


def load_model(path: Path) -> LinearModel:
    with np.load(path, allow_pickle=False) as stored:
        arrays: dict[str, npt.NDArray[Any]] = {name: stored[name] for name in stored.files}
    header = json.loads(arrays.pop("header").tobytes())
    if header.get("format") != FORMAT:
        raise ValueError(f"{path}: format {header.get('format')!r}, expected {FORMAT!r}")
    w_prob, w_sim, bias, w_oos = header["scope"]
    return LinearModel(
        labels=tuple(header["labels"]),
        space=space_from_state(header["space"], arrays),
        coef=arrays["coef"],
        intercept=arrays["intercept"],
        examples=arrays["examples"],
        example_labels=tuple(header["example_labels"]),
        example_texts=tuple(header["example_texts"]),
        scope=ScopeScorer(w_prob=w_prob, w_sim=w_sim, bias=bias, w_oos=w_oos),
        temperature=float(header["temperature"]),
        vote_weight=float(header["vote_weight"]),
    )
