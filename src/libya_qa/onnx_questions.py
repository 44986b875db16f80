"""A question's encoding through ONNX Runtime: the model exported once, cached, and checked against torch.

One question through torch costs 15-23 ms on a CPU without AVX-512; ONNX Runtime gives the same vector
(within 2e-7) in 7-12 ms (bench/latency.py). Only small batches take this path: a build's batches are no
faster in ONNX Runtime, and bf16 autocast is torch's. The export (torch.onnx.export, 2-3 s, 90 MB for
MiniLM) is written once per model and torch version into the cache folder. Whenever it cannot be made or
loaded, or its vectors differ from torch's, questions are encoded by torch as before and a warning says why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

LOG = logging.getLogger("libya_qa")
SMALL_BATCH = 8  # up to this many texts (a question; a follow-up's two) go through ONNX Runtime
AGREEMENT = 1e-4  # the largest difference from torch's vector, in any coordinate, that counts as the same
CHECK_TEXTS = (
    "Who backed Haftar?",
    "How many people died when the boat carrying Somali refugees was attacked "
    "off Yemen, and who carried out the attack on the refugee boat in the Red Sea?",
)
OPSET = 17


@dataclass(frozen=True)
class TransformerParts:
    """What a mean-pooled, normalised sentence-transformers model is made of, for export."""

    model: Any  # the Hugging Face transformer (torch.nn.Module)
    tokenizer: Any
    max_length: int
    weights: tuple[Path, ...]  # its weight files: their sizes and times key the cached export


class Exportable(Protocol):
    """An encoder whose transformer can be exported (encoders.SentenceTransformerEncoder)."""

    name: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...

    def parts(self) -> TransformerParts | None: ...


class OnnxQuestions:
    """The base encoder, with small batches (questions) run by an ONNX Runtime session of the same model."""

    def __init__(self, base: Exportable, session: Any, parts: TransformerParts, inputs: tuple[str, ...]) -> None:
        self.base, self._session, self._parts, self._inputs = base, session, parts, inputs
        self.name, self.dimension = base.name, base.dimension
        # A fast tokenizer may raise "Already borrowed" when two threads reset its padding at once; 0.1 ms held.
        self._tokenizing = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-length float32 rows: ONNX Runtime for a few texts, the base encoder for more."""
        if not texts or len(texts) > SMALL_BATCH:
            return self.base.encode(texts, batch_size, progress)
        with self._tokenizing:
            batch = self._parts.tokenizer(
                texts, return_tensors="np", padding=True, truncation=True, max_length=self._parts.max_length
            )
        tokens = self._session.run(None, {name: batch[name].astype(np.int64) for name in self._inputs})[0]
        mask = batch["attention_mask"][..., None].astype(np.float32)
        pooled = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)  # the model's mean pooling
        return np.ascontiguousarray(pooled / np.linalg.norm(pooled, axis=1, keepdims=True), dtype=np.float32)


def with_onnx_questions(base: Exportable, cache_dir: Path, threads: int = 1) -> Exportable | OnnxQuestions:
    """The base encoder with its questions run by ONNX Runtime, or the base itself (with a warning) when that
    cannot be done or would not give the same vectors."""
    parts = base.parts()
    if parts is None:
        return base  # not a mean-pooled transformer: nothing to export
    try:
        fast = _loaded(base, parts, cache_dir, threads)
        difference = float(np.abs(fast.encode(list(CHECK_TEXTS)) - base.encode(list(CHECK_TEXTS))).max())
    except Exception as exc:  # a missing package, a full disk, a corrupt file, a failing run: torch answers
        LOG.warning(
            "questions are encoded by torch: ONNX Runtime could not be used (%s: %s)", exc.__class__.__name__, exc
        )
        return base
    if difference > AGREEMENT:
        LOG.warning("questions are encoded by torch: ONNX Runtime's vectors differ from torch's by %.2g", difference)
        return base
    return fast


def _loaded(base: Exportable, parts: TransformerParts, cache_dir: Path, threads: int) -> OnnxQuestions:
    """A session of the cached export (exported first when missing; exported again when it does not load)."""
    import onnxruntime  # heavy: imported once, here

    inputs = tuple(parts.tokenizer(["a"], return_tensors="np").keys())
    path = cache_dir / f"{_slug(base.name)}-{_key(parts, inputs)}.onnx"
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads  # a question is too small to split (config.serve_threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings about unused initialisers say nothing to a user
    if not path.exists():
        _export(parts, inputs, path)
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception:  # a file cut short by a crash or a full disk: made again, once
        _export(parts, inputs, path)
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return OnnxQuestions(base, session, parts, inputs)


def _export(parts: TransformerParts, inputs: tuple[str, ...], path: Path) -> None:
    """Export the transformer to `path` atomically: written beside it, then renamed (two processes may race)."""
    import torch

    class LastHidden(torch.nn.Module):
        """The transformer's token vectors, from positional inputs (what the exporter traces)."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(inputs, tensors))).last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = parts.tokenizer(list(CHECK_TEXTS), return_tensors="pt", padding=True)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*inputs, "last_hidden_state")}
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about Python branches on shapes: all static here
            torch.onnx.export(
                LastHidden(parts.model.eval()),
                tuple(sample[name] for name in inputs),
                temporary,
                input_names=list(inputs),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the export is no secret
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _key(parts: TransformerParts, inputs: tuple[str, ...]) -> str:
    """What the export depends on: the weight files (path, size, time), torch's version, the opset and inputs."""
    import torch

    files = [f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in parts.weights]
    described = "|".join([*files, torch.__version__, str(OPSET), ",".join(inputs), str(parts.max_length)])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def _slug(name: str) -> str:
    """A model name as a file name's start."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower())[-60:] or "model"
