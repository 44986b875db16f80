"""Encoder paths side by side in one run: fp32, bf16 autocast, int8 dynamic quantisation, and auto
(bf16 for batches on CPUs with native bf16, fp32 for single questions).

For each precision: sentences per second on the same texts (best of --repeat runs after a warm-up),
agreement of its vectors with fp32 (cosine per text), and answer quality on the evaluation set
(tests/data/eval.jsonl through libya_qa.evaluation.evaluate) with an index of the founding corpus
built by that same encoder. A path is acceptable when hit@1, hit@5 and MRR are within 1% of fp32.

ONNX Runtime is measured by bench/encoders_onnx.py instead: sentence-transformers' onnx backend
resolves only with sentence-transformers[onnx]==5.1.2, so that runs in its own venv.

Run: nice -n 10 .venv/bin/python bench/encoders.py [--precisions fp32,bf16,int8,auto] [--threads 1] [--texts 384]
(texts default: every sentence of the founding corpus, so ~1,100 encodings per precision.)
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    EVAL_FILE,
    FOUNDING_CORPUS,
    QUALITY_KEYS,
    ROOT,
    founding_quality,
    sentence_texts,
    settings_for,
    table,
    write_results,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precisions", default="fp32,bf16,int8,auto")
    parser.add_argument("--texts", type=int, default=0, help="throughput texts (0 = the founding corpus sentences)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-quality", action="store_true", help="throughput and agreement only")
    parser.add_argument("--threads", type=int, default=0, help="torch/faiss intra-op threads (0 = default)")
    args = parser.parse_args()
    if args.threads:
        from libya_qa.encoders import limit_threads

        limit_threads(args.threads)

    from libya_qa.corpus import load_corpus
    from libya_qa.encoders import load_encoder
    from libya_qa.evaluation import load_cases

    articles = load_corpus(FOUNDING_CORPUS)
    probe = settings_for(FOUNDING_CORPUS, ROOT / "index")
    texts = sentence_texts(articles, probe)
    if args.texts:
        texts = (texts * (args.texts // max(len(texts), 1) + 1))[: args.texts]
    cases = load_cases(EVAL_FILE)
    rows, reference = [], None
    for precision in [p for p in args.precisions.split(",") if p]:
        started = time.perf_counter()
        encoder = load_encoder(probe.model, precision)
        load_s = time.perf_counter() - started
        encoder.encode(texts[:64], batch_size=args.batch_size)  # warm-up (kernels, allocator)
        times, vectors = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            vectors = encoder.encode(texts, batch_size=args.batch_size)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for question in [c.question for c in cases[:30]]:
            encoder.encode([question])
        query_ms = (time.perf_counter() - t0) / 30 * 1000
        assert vectors is not None
        if reference is None:
            reference = vectors
        cos = np.sum(reference * vectors, axis=1)
        row: dict[str, object] = {
            "precision": precision,
            "load_s": round(load_s, 2),
            "texts": len(texts),
            "sent_per_s": len(texts) / min(times),
            "query_ms": query_ms,
            "cos_vs_fp32_mean": float(cos.mean()),
            "cos_vs_fp32_min": float(cos.min()),
        }
        if not args.no_quality:
            row.update(founding_quality(encoder, articles, cases))
        rows.append(row)
        print(table([row]), flush=True)
        del encoder
        gc.collect()
    base = rows[0]
    for row in rows:
        row["speedup"] = float(row["sent_per_s"]) / float(base["sent_per_s"])  # type: ignore[arg-type]
        if not args.no_quality and base["precision"] == "fp32":
            worst = min(
                (float(row[k]) - float(base[k])) / float(base[k]) if float(base[k]) else 0.0  # type: ignore[arg-type]
                for k in ("hit@1", "hit@5", "mrr")
            )
            row["worst_quality_change"] = worst
            row["within_1pct"] = worst >= -0.01
    columns = ["precision", "sent_per_s", "speedup", "query_ms", "cos_vs_fp32_mean", "cos_vs_fp32_min"]
    if not args.no_quality:
        columns += [*QUALITY_KEYS, "worst_quality_change", "within_1pct"]
    print()
    print(table(rows, columns, title="encoder paths (same texts, same run)"))
    print("ONNX Runtime: measured by bench/encoders_onnx.py in its own venv (sentence-transformers[onnx] needs 5.1.2)")
    name = "encoders-" + "-".join(r["precision"] for r in rows) + ("-speed" if args.no_quality else "")
    write_results(
        name,
        {
            "rows": rows,
            "batch_size": args.batch_size,
            "repeat": args.repeat,
            "threads": args.threads or "default",
            "texts": len(texts),
            "onnx": "skipped: sentence-transformers[onnx]==5.1.2 conflicts with 6.x",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
