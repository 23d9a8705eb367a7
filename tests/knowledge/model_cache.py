"""One exported model for every test module that embeds (the export takes seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.knowledge.embeddings import Embedder, load_embedder


def session_cache_dir(factory: pytest.TempPathFactory) -> Path:
    return factory.getbasetemp() / "relaydesk-model-cache"


def real_embedder(factory: pytest.TempPathFactory) -> Embedder:
    embedder, reason = load_embedder(cache_dir=session_cache_dir(factory))
    assert embedder is not None, reason
    return embedder
