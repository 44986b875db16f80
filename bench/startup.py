"""Start-up: seconds from launching `libya-qa serve` to /healthz and to the first answered question,
then (in-process) where load time goes: imports, encoder, index load with checksum verification,
index load without it, and the Searcher's set-up (per-sentence mappings, idf table).

Run: nice -n 10 .venv/bin/python bench/startup.py [--runs 3]
     nice -n 10 .venv/bin/python bench/startup.py --index bench/data/large/index --corpus bench/data/large/corpus
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FOUNDING_CORPUS, ROOT, eval_questions, median, serve, settings_for, table, write_results  # noqa: E402


def in_process(index_dir: Path, corpus_dir: Path) -> dict[str, float]:
    """Load stages timed in this process (the server does the same at start-up)."""
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    from libya_qa.encoders import load_encoder
    from libya_qa.filestore import FileStore
    from libya_qa.search import Searcher

    out["import_s"] = time.perf_counter() - t0
    settings = settings_for(corpus_dir, index_dir)
    t0 = time.perf_counter()
    encoder = load_encoder(settings.model)
    out["encoder_load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = FileStore(index_dir).load(verify=True)
    out["index_load_verified_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = FileStore(index_dir).load(verify=False)
    out["index_load_unverified_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    searcher = Searcher(data, encoder, settings.candidates, settings.rrf_k)
    out["searcher_init_s"] = time.perf_counter() - t0
    assert searcher.snapshot is data
    t0 = time.perf_counter()
    encoder.encode(["What happened in Libya?"])
    out["first_encode_s"] = time.perf_counter() - t0
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--corpus", type=Path, default=FOUNDING_CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for the server (0 = default)")
    args = parser.parse_args()
    import httpx

    question = eval_questions()[0]
    rows = []
    for run in range(args.runs):
        with serve(args.index, args.corpus, threads=args.threads or None) as server:
            healthy = time.perf_counter() - server.started
            response = httpx.post(f"{server.url}/ask", json={"question": question}, timeout=300)
            answered = time.perf_counter() - server.started
            ok = response.status_code == 200
        rows.append(
            {
                "run": run + 1,
                "healthz_s": healthy,
                "first_answer_s": answered,
                "first_ask_ms": (answered - healthy) * 1000,
                "answered_200": ok,
            }
        )
        print(table([rows[-1]]), flush=True)
    stages = in_process(args.index, args.corpus)
    summary = {
        "first_answer_s_median": median([r["first_answer_s"] for r in rows]),
        "healthz_s_median": median([r["healthz_s"] for r in rows]),
    }
    print()
    print(table(rows, title=f"serve start-up ({args.index})"))
    print()
    print(table([{"stage": k, "seconds": v} for k, v in stages.items()], title="load stages, in-process"))
    print(f"\nmedian seconds from `serve` to the first answered question: {summary['first_answer_s_median']:.2f}")
    label = "founding" if args.corpus == FOUNDING_CORPUS else args.corpus.parent.name
    write_results(f"startup-{label}", {"index": str(args.index), "runs": rows, "stages": stages, **summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
