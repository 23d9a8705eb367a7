from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from model_cache import real_embedder, session_cache_dir

from relaydesk.knowledge.embeddings import (
    DIMENSIONS,
    MODEL_ID,
    Embedder,
    ModelFileMismatch,
    TorchEmbedder,
    model_dir,
    verify_model,
)
from relaydesk.knowledge.onnx_export import cached_path, record_path, verify_onnx


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return real_embedder(tmp_path_factory)


def test_onnx_serves_unit_vectors_under_its_own_model_id(embedder: Embedder) -> None:
    vectors = embedder.embed(["How do I reset my password?", "", "Refunds take 5 days."])
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert embedder.model_id == f"{MODEL_ID}+int8"  # never mixed with fp32 vectors
    assert embedder.embed([]).shape == (0, DIMENSIONS)


def test_onnx_agrees_with_torch_and_keeps_meaning(embedder: Embedder) -> None:
    texts = [
        "I forgot my password and cannot sign in",
        "Resetting the password of your account",
        "Our stores open at 9 am on weekdays",
    ]
    onnx, torch = embedder.embed(texts), TorchEmbedder(model_dir()).embed(texts)
    assert (onnx * torch).sum(axis=1).min() > 0.97
    assert onnx[0] @ onnx[1] > onnx[0] @ onnx[2] + 0.2


def test_batching_does_not_change_a_vector(embedder: Embedder) -> None:
    texts = [f"question number {i} about {'shipping ' * i}" for i in range(12)]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([text])[0] for text in texts])
    assert np.allclose(together, alone, atol=1e-3)


def test_weights_with_another_hash_are_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(ModelFileMismatch, match="reinstall"):
        verify_model(tmp_path)
    with pytest.raises(ModelFileMismatch):
        verify_model(model_dir(), expected="0" * 64)


def copy_export(factory: pytest.TempPathFactory, target: Path) -> Path:
    exported = cached_path(session_cache_dir(factory), "int8")
    copied = target / exported.name
    shutil.copy(exported, copied)
    shutil.copy(record_path(exported), record_path(copied))
    return copied


def test_an_altered_onnx_file_is_refused(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    copied = copy_export(tmp_path_factory, tmp_path)
    verify_onnx(copied)
    with copied.open("r+b") as model:
        model.seek(4096)
        model.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelFileMismatch, match="sha256"):
        verify_onnx(copied)


def test_an_export_from_other_weights_is_refused(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    copied = copy_export(tmp_path_factory, tmp_path)
    record = json.loads(record_path(copied).read_text())
    record_path(copied).write_text(json.dumps({**record, "weights_sha256": "f" * 64}))
    with pytest.raises(ModelFileMismatch, match="other weights"):
        verify_onnx(copied)
    record_path(copied).unlink()
    with pytest.raises(ModelFileMismatch, match="no readable export record"):
        verify_onnx(copied)
