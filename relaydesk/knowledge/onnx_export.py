"""Exporting MiniLM to ONNX once, from the verified weights, and checking the cached file.

The file's name carries the weights' hash, the export format and the variant (``fp32``, or
``int8``: per-channel dynamic quantization). Beside it a JSON record holds the file's own
SHA-256, checked at every load, so a truncated or altered file is exported again rather than
served. Before a new file is kept, its vectors are compared with torch's on a few sentences.
Files are written to a temporary name and renamed into place, so processes exporting at the
same time each leave a whole file; a file and record from different exports fail the check
and are exported again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from relaydesk.knowledge.embeddings import (
    MAX_TOKENS,
    MODEL_ID,
    MODEL_SHA256,
    ModelFileMismatch,
    Variant,
    Vectors,
    file_sha256,
)

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # bump when the graph changes (inputs, pooling): old files are then ignored
# How close the exported model's vectors must stay to torch's (cosine, worst probe).
MIN_COSINE: dict[str, float] = {"fp32": 0.9999, "int8": 0.97}
PROBES = (
    "How do I reset my password?",
    "Refunds go back to the original payment method within 5 to 10 business days.",
    "Is it possible to get strikethrough text in GitHub Markdown?",
    "My card was charged twice for one order, what should I do",
    "wire transfer limits for business checking accounts",
)


class OnnxUnavailable(RuntimeError):
    """ONNX Runtime cannot serve the model here (not installed, or the export failed)."""


def cached_path(cache_dir: Path, variant: Variant) -> Path:
    name = f"{MODEL_ID}-{MODEL_SHA256[:16]}-v{EXPORT_FORMAT}-{variant}.onnx"
    return cache_dir / "models" / name


def ensure_onnx(directory: Path, cache_dir: Path, variant: Variant) -> Path:
    """The verified ONNX file for these weights, exported first if missing or altered."""
    try:
        import onnxruntime  # noqa: F401 - only checking that it is there
    except ImportError as error:
        raise OnnxUnavailable("onnxruntime is not installed") from error
    target = cached_path(cache_dir, variant)
    if target.exists():
        try:
            verify_onnx(target)
            return target
        except ModelFileMismatch as error:
            log.warning("exporting the model again: %s", error)
    try:
        export_onnx(directory, target, variant)
    except ImportError as error:
        raise OnnxUnavailable(f"cannot export the model to ONNX: {error}") from error
    except Exception as error:  # an export failure must leave the torch fallback working
        log.exception("exporting %s to ONNX failed", MODEL_ID)
        raise OnnxUnavailable(f"exporting to ONNX failed: {error}") from error
    verify_onnx(target)
    return target


def record_path(onnx_file: Path) -> Path:
    return onnx_file.with_suffix(".json")


def verify_onnx(onnx_file: Path) -> None:
    """Refuses a cached file that is not exactly the one exported from the checked weights."""
    try:
        record = json.loads(record_path(onnx_file).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise ModelFileMismatch(f"{onnx_file}: no readable export record ({error})") from None
    if record.get("weights_sha256") != MODEL_SHA256:
        raise ModelFileMismatch(f"{onnx_file} was exported from other weights")
    actual = file_sha256(onnx_file)
    if actual != record.get("sha256"):
        raise ModelFileMismatch(
            f"{onnx_file} has sha256 {actual}, its export recorded {record.get('sha256')}"
        )


def export_onnx(directory: Path, target: Path, variant: Variant) -> None:
    import torch
    from transformers import AutoModel

    target.parent.mkdir(parents=True, exist_ok=True)
    model = _sentence_encoder(AutoModel.from_pretrained(str(directory)))
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        exported = Path(scratch) / "fp32.onnx"
        _trace(model, exported)
        if variant == "int8":
            exported = _quantize(exported, Path(scratch) / "int8.onnx")
        cosine = _agreement(model, exported, directory)
        if cosine < MIN_COSINE[variant]:
            raise RuntimeError(f"{variant} export agrees with torch only to cosine {cosine:.4f}")
        record = {
            "model_id": MODEL_ID,
            "weights_sha256": MODEL_SHA256,
            "variant": variant,
            "sha256": file_sha256(exported),
            "torch": torch.__version__,
            "min_cosine_to_torch": round(cosine, 5),
        }
        os.replace(exported, target)
        _write_atomically(record_path(target), json.dumps(record, indent=2))
    log.info("exported %s to %s (cosine to torch %.4f)", MODEL_ID, target, cosine)


def _sentence_encoder(transformer: Any) -> Any:
    """The transformer with mean pooling and normalisation, so the graph returns sentence
    vectors and serving needs no torch."""
    import torch

    class SentenceEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer.eval()

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    return SentenceEncoder().eval()


def _trace(model: Any, path: Path) -> None:
    import torch

    sample = torch.ones((2, 16), dtype=torch.long)
    dynamic = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about Python conditionals on shapes
        # The TorchScript exporter: the dynamo one needs onnxscript, and handles this
        # model's dynamic axes less well.
        torch.onnx.export(
            model,
            (sample, sample),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weights: cosine to fp32 0.994 on average against 0.966 per-tensor.
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic's advice to pre-process goes to root
    try:
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(previous)
    return target


def _agreement(model: Any, onnx_file: Path, directory: Path) -> float:
    """The worst cosine between torch's and the ONNX file's vectors over the probes."""
    import onnxruntime
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    encoded = tokenizer.encode_batch(list(PROBES))
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    with torch.inference_mode():
        expected: Vectors = model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    actual = np.asarray(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
    return float((expected * actual).sum(axis=1).min())


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: Path(temporary).unlink(missing_ok=True))
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
