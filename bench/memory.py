"""Resident memory of `libya-qa serve` per corpus, and bytes per indexed passage.

For each --target LABEL=INDEX_DIR:CORPUS_DIR (default: the founding corpus) a server is started on
a free loopback port, warmed with --warmup questions, and its VmRSS (resident now) and VmHWM
(peak resident) read from /proc. Bytes per passage: the index folder on disk over its passages,
and (with two or more targets) the RSS difference between the largest and the smallest target
over their passage difference (the marginal memory of a passage, model and code excluded).

Run: nice -n 10 .venv/bin/python bench/memory.py
     nice -n 10 .venv/bin/python bench/memory.py --target founding=index:corpus \\
         --target large=bench/data/large/index:bench/data/large/corpus
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    FOUNDING_CORPUS,
    ROOT,
    current_index_folder,
    eval_questions,
    folder_bytes,
    rss_bytes,
    serve,
    table,
    write_results,
)


def parse_target(spec: str) -> tuple[str, Path, Path]:
    label, _, paths = spec.partition("=")
    index, _, corpus = paths.partition(":")
    return label, (ROOT / index).resolve(), (ROOT / corpus).resolve()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", action="append", help="LABEL=INDEX_DIR:CORPUS_DIR (repeatable)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for the server (0 = default)")
    args = parser.parse_args()
    targets = [parse_target(t) for t in (args.target or [f"founding=index:{FOUNDING_CORPUS.name}"])]
    questions = eval_questions()
    rows = []
    for label, index_dir, corpus_dir in targets:
        with serve(index_dir, corpus_dir, threads=args.threads or None) as server:
            import httpx

            loaded = rss_bytes(server.pid)
            with httpx.Client(base_url=server.url, timeout=120) as client:
                health = client.get("/healthz").json()
                for q in questions[: args.warmup]:
                    client.post("/ask", json={"question": q})
            warm = rss_bytes(server.pid)
        passages = int(health["passages"])
        disk = folder_bytes(current_index_folder(index_dir))
        rows.append(
            {
                "label": label,
                "passages": passages,
                "articles": int(health["articles"]),
                "rss_loaded_mb": loaded["VmRSS"] / 2**20,
                "rss_warm_mb": warm["VmRSS"] / 2**20,
                "peak_rss_mb": warm["VmHWM"] / 2**20,
                "index_disk_mb": disk / 2**20,
                "disk_bytes_per_passage": disk / passages,
            }
        )
        print(table([rows[-1]]), flush=True)
    if len(rows) >= 2:
        small, large = min(rows, key=lambda r: r["passages"]), max(rows, key=lambda r: r["passages"])
        extra = large["passages"] - small["passages"]
        if extra > 0:
            marginal = (large["rss_warm_mb"] - small["rss_warm_mb"]) * 2**20 / extra
            large["rss_bytes_per_passage_marginal"] = marginal
    print()
    print(table(rows, title="serve resident memory"))
    write_results("memory", {"rows": rows, "warmup": args.warmup})
    return 0


if __name__ == "__main__":
    sys.exit(main())
