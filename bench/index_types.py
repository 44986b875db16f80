"""Dense index types at growing sizes: build time, single-query search latency, recall@10 against
exact search, and bytes per passage (the serialised index, ~ its resident size).

The indexes are made by libya_qa.dense.DenseIndex.build, exactly as a build makes them.
Vectors: with --real-index, the passage vectors of a built index are the base and synthetic vectors
are added to reach each size (mixtures of two real vectors plus noise, renormalised); without it,
all vectors are synthetic (clustered Gaussian). Either way every figure at a size beyond the real
index's passage count is a SYNTHETIC figure, and the JSON says how many vectors were real.
Queries are fresh draws from the same generator (not in the base).

Run (small):  nice -n 10 .venv/bin/python bench/index_types.py --sizes 20000
Run (full):   nice -n 10 .venv/bin/python bench/index_types.py --sizes 100000,250000,1000000 \
                  --real-index bench/data/large/index        # HNSW build at 1M: ~15-30 min
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import current_index_folder, percentiles, table, write_results  # noqa: E402

DIM = 384


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class Generator:
    """Synthetic unit vectors shaped like real ones (from real seeds when given)."""

    def __init__(self, seeds: np.ndarray | None, dim: int = DIM, clusters: int = 2048, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.seeds = seeds
        self.dim = dim if seeds is None else seeds.shape[1]
        if seeds is None:
            self.centres = unit(self.rng.standard_normal((clusters, dim)))

    def draw(self, n: int) -> np.ndarray:
        out = np.empty((n, self.dim), dtype=np.float32)
        for lo in range(0, n, 100_000):
            m = min(100_000, n - lo)
            if self.seeds is not None:
                a = self.seeds[self.rng.integers(0, len(self.seeds), m)]
                b = self.seeds[self.rng.integers(0, len(self.seeds), m)]
                mix = self.rng.uniform(0.6, 1.0, (m, 1)).astype(np.float32)
                noise = self.rng.standard_normal((m, self.dim)).astype(np.float32) * (0.25 / np.sqrt(self.dim))
                out[lo : lo + m] = unit(mix * a + (1 - mix) * b + noise)
            else:
                c = self.centres[self.rng.integers(0, len(self.centres), m)]
                noise = self.rng.standard_normal((m, self.dim)).astype(np.float32) * (0.9 / np.sqrt(self.dim))
                out[lo : lo + m] = unit(c + noise)
        return out


def real_vectors(index_dir: Path) -> np.ndarray:
    import faiss

    index = faiss.read_index(str(current_index_folder(index_dir) / "passages.faiss"))
    return unit(index.reconstruct_n(0, index.ntotal))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000")
    parser.add_argument("--kinds", default="flat,hnsw,hnsw-sq8,ivf-sq8")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real-index", type=Path, help="an index folder whose passage vectors seed the data")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="faiss OpenMP threads (default 1: one query per request; 0 = faiss default)",
    )
    args = parser.parse_args()

    import faiss

    from libya_qa.dense import DenseIndex

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    real = real_vectors(args.real_index) if args.real_index else None
    gen = Generator(real)
    queries = gen.draw(args.queries)
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        n_real = 0 if real is None else min(size, len(real))
        base = np.vstack([real[:n_real], gen.draw(size - n_real)]) if real is not None else gen.draw(size)
        exact = faiss.IndexFlatIP(base.shape[1])
        exact.add(base)
        _, truth = exact.search(queries, 10)
        del exact
        for kind in [k for k in args.kinds.split(",") if k]:
            t0 = time.perf_counter()
            dense = DenseIndex.build(base, kind)
            index, chosen = dense.index, dense.kind
            build_s = time.perf_counter() - t0
            with tempfile.NamedTemporaryFile(suffix=".faiss") as handle:
                faiss.write_index(index, handle.name)
                nbytes = os.path.getsize(handle.name)
            index.search(queries[:5], 10)  # warm-up
            latencies, found = [], []
            for q in queries:
                t0 = time.perf_counter()
                _, ids = index.search(q.reshape(1, -1), 10)
                latencies.append((time.perf_counter() - t0) * 1000)
                found.append(ids[0])
            recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))
            row = {
                "passages": size,
                "real_vectors": n_real,
                "synthetic": size > n_real,
                "kind": chosen,
                "build_s": build_s,
                **{k: v for k, v in percentiles(latencies).items() if k != "max_ms"},
                "recall@10": recall,
                "bytes_per_passage": nbytes / size,
                "index_mb": nbytes / 2**20,
            }
            rows.append(row)
            print(table([row]), flush=True)
            del index
    print()
    print(
        table(
            rows,
            [
                "passages",
                "synthetic",
                "kind",
                "build_s",
                "p50_ms",
                "p95_ms",
                "recall@10",
                "bytes_per_passage",
                "index_mb",
            ],
            title="dense index types (single-query search, top 10)",
        )
    )
    name = "index_types" if args.kinds == parser.get_default("kinds") else f"index_types-{args.kinds.replace(',', '-')}"
    write_results(
        name,
        {
            "rows": rows,
            "queries": args.queries,
            "real_index": str(args.real_index) if args.real_index else None,
            "note": "rows with synthetic=true include synthetic vectors",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
