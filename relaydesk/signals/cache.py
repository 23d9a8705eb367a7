"""Where trained classifiers and dataset embeddings are kept between runs.

``RELAYDESK_CACHE_DIR`` (default ``~/.cache/relaydesk``) is read when a path is asked for,
never at import. Everything under it can be deleted at any time: it is rebuilt on demand.
Embeddings are keyed by the model id and a hash of the texts, so a rerun of an evaluation
skips the minutes that embedding 10k sentences costs, and a different model never reuses them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from relaydesk.knowledge.embeddings import Embedder, Vectors

CHUNK = 256


def cache_dir() -> Path:
    configured = os.environ.get("RELAYDESK_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "relaydesk"


def texts_key(texts: Sequence[str], model_id: str) -> str:
    digest = hashlib.sha256(model_id.encode())
    for text in texts:
        digest.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one (two processes may race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    Path(temporary).replace(path)


class CachedEmbedder:
    """An embedder whose results for a whole list of texts are kept on disk."""

    def __init__(self, embedder: Embedder, directory: Path | None = None) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimensions = embedder.dimensions
        self.directory = (directory or cache_dir()) / "embeddings" / embedder.model_id

    def embed(
        self, texts: Sequence[str], on_progress: Callable[[int], None] | None = None
    ) -> Vectors:
        """``on_progress`` hears how many texts each finished chunk held."""
        path = self.directory / f"{texts_key(texts, self.model_id)}.npy"
        if path.exists():
            cached: Vectors = np.load(path, allow_pickle=False)
            if cached.shape == (len(texts), self.dimensions):
                if on_progress:
                    on_progress(len(texts))
                return cached
        vectors = self._embed_in_chunks(texts, on_progress)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile() as buffer:
            np.save(buffer, vectors, allow_pickle=False)
            buffer.seek(0)
            write_atomically(path, buffer.read())
        return vectors

    def _embed_in_chunks(
        self, texts: Sequence[str], on_progress: Callable[[int], None] | None
    ) -> Vectors:
        chunks = [np.zeros((0, self.dimensions), dtype=np.float32)]
        for start in range(0, len(texts), CHUNK):
            part = list(texts[start : start + CHUNK])
            chunks.append(np.asarray(self.embedder.embed(part), dtype=np.float32))
            if on_progress:
                on_progress(len(part))
        return np.ascontiguousarray(np.concatenate(chunks))
