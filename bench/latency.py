"""/ask latency over HTTP against a running `libya-qa serve` (a subprocess on a free 127.0.0.1 port).

Fixed question list (the evaluation set's questions, cycled; --questions titles:N adds N news titles
from a large corpus), a warm-up pass, then for each concurrency level a bounded number of
requests from that many client threads: p50, p95, p99 of the client-side round trip, requests
per second, and the server's own took_ms (p50). Only loopback traffic; every loop is bounded.

Run: nice -n 10 .venv/bin/python bench/latency.py                                 # founding corpus
     nice -n 10 .venv/bin/python bench/latency.py --index bench/data/large/index --corpus bench/data/large/corpus
Options: --concurrency 1,4,16  --requests 200 (per level)  --warmup 20  --label NAME
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    FOUNDING_CORPUS,
    ROOT,
    eval_questions,
    is_reserved,
    median,
    percentiles,
    rss_bytes,
    serve,
    table,
    write_results,
)

TARGETS = {"founding": {"p50_ms": 50.0, "p95_ms": 100.0}, "large": {"p50_ms": 100.0}}


def question_list(spec: str, corpus: Path) -> list[str]:
    """'eval' -> the evaluation questions; 'eval+titles:N' adds N article titles from the corpus."""
    questions = eval_questions()
    if "titles:" in spec:
        import yaml

        wanted = int(spec.split("titles:")[1])
        titles = []
        for path in sorted(Path(corpus).glob("news-*.md")):
            head, _, body = path.read_text(encoding="utf-8").removeprefix("---\n").partition("\n---\n")
            title = str((yaml.safe_load(head) or {}).get("title", "")).strip()
            if title and title != "unknown" and not is_reserved(title, body):  # kept for the outside check
                titles.append(title[:400])
            if len(titles) == wanted:
                break
        questions += titles
    return questions


def run_level(url: str, questions: list[str], concurrency: int, requests: int, timeout: float) -> dict[str, Any]:
    """`requests` POST /ask from `concurrency` threads, questions taken in order."""
    import httpx

    lock = threading.Lock()
    cursor = [0]
    latencies: list[float] = []
    server_ms: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=timeout) as client:
            while True:
                with lock:
                    n = cursor[0]
                    if n >= requests:
                        return
                    cursor[0] += 1
                question = questions[n % len(questions)]
                t0 = time.perf_counter()
                try:
                    response = client.post("/ask", json={"question": question, "top_k": 5})
                    elapsed = (time.perf_counter() - t0) * 1000
                    if response.status_code != 200:
                        with lock:
                            errors.append(f"{response.status_code}: {response.text[:120]}")
                        continue
                    took = float(response.json().get("took_ms", 0.0))
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{exc.__class__.__name__}: {exc}")
                    continue
                with lock:
                    latencies.append(elapsed)
                    server_ms.append(took)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout * requests)
    wall = time.perf_counter() - t0
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": len(errors),
        **percentiles(latencies),
        "rps": len(latencies) / wall if wall else 0.0,
        "server_p50_ms": median(server_ms),
        "error_samples": errors[:3],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--corpus", type=Path, default=FOUNDING_CORPUS)
    parser.add_argument("--label", default="")
    parser.add_argument("--questions", default="eval", help="eval | eval+titles:N")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="OMP_NUM_THREADS for the server (torch and faiss intra-op threads; 0 = their default)",
    )
    args = parser.parse_args()
    label = args.label or ("founding" if args.corpus == FOUNDING_CORPUS else args.corpus.parent.name)
    if args.threads:
        label += f"-threads{args.threads}"
    questions = question_list(args.questions, args.corpus)
    rows = []
    # Latency under concurrency, not admission control: every client is let in, as before the edge had one.
    unbounded = {"LIBYA_QA_MAX_CONCURRENT": "64", "LIBYA_QA_MAX_QUEUED": "64"}
    with serve(args.index, args.corpus, threads=args.threads or None, extra_env=unbounded) as server:
        import httpx

        health = httpx.get(f"{server.url}/healthz", timeout=10).json()
        warm = run_level(server.url, questions, 1, args.warmup, args.timeout)
        print(
            f"server {server.url}: {health.get('passages'):,} passages, {health.get('articles'):,} articles; "
            f"warm-up {warm['requests']} requests, p50 {warm['p50_ms']:.1f} ms",
            flush=True,
        )
        for level in [int(c) for c in args.concurrency.split(",") if c]:
            row = run_level(server.url, questions, level, args.requests, args.timeout)
            rows.append(row)
            print(
                table(
                    [row], ["concurrency", "requests", "errors", "p50_ms", "p95_ms", "p99_ms", "rps", "server_p50_ms"]
                ),
                flush=True,
            )
        memory = rss_bytes(server.pid)
    target = TARGETS["founding" if label.startswith("founding") else "large"]
    c1 = next((r for r in rows if r["concurrency"] == 1), None)
    verdict = {k: (c1[k] < v) if c1 else None for k, v in target.items()}
    print()
    print(
        table(
            rows,
            ["concurrency", "requests", "errors", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "rps", "server_p50_ms"],
            title=f"/ask latency, {label}: {health.get('passages'):,} passages, {len(questions)} distinct questions",
        )
    )
    print(f"targets at concurrency 1: {target} -> {verdict}")
    write_results(
        f"latency-{label}",
        {
            "label": label,
            "index": str(args.index),
            "corpus": str(args.corpus),
            "passages": health.get("passages"),
            "articles": health.get("articles"),
            "questions": len(questions),
            "server_threads": args.threads or "default",
            "rows": rows,
            "targets": target,
            "met": verdict,
            "server_rss_after": memory,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
