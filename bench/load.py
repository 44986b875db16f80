"""Load test: closed-loop asyncio clients against `libya-qa serve` on 127.0.0.1, bounded in time.

Levels (default): 16 users for 60 s, 64 users for 60 s, and 16 users for 60 s through a full
rebuild and swap (POST /index?full=true). Each user asks the evaluation questions in turn with no
think time. Reports requests, answered (200), shed (503 with Retry-After), other errors and
connection errors, p50/p95/p99 of the answered requests and of the shed ones, and the server's
peak resident memory. Only loopback traffic.

Run: nice -n 10 .venv/bin/python bench/load.py            (about 4 minutes)
Options: --seconds 60  --levels 16,64,rebuild16  --index DIR --corpus DIR  --max-concurrent N --max-queued N
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FOUNDING_CORPUS, eval_questions, percentiles, rss_bytes, serve, table, write_results  # noqa: E402

TOKEN = "load-test-token"


async def user(client: Any, questions: list[str], offset: int, stop: float, out: dict[str, list]) -> None:
    """One closed-loop user: ask, record, ask again until the deadline."""
    import httpx

    n = offset
    while time.monotonic() < stop:
        started = time.perf_counter()
        retry_after = 0.0
        try:
            response = await client.post("/ask", json={"question": questions[n % len(questions)]})
            status = response.status_code
            retry_after = float(response.headers.get("retry-after", 0)) if status == 503 else 0.0
        except httpx.HTTPError as exc:
            status = f"connection: {type(exc).__name__}"
        elapsed = (time.perf_counter() - started) * 1000
        out.setdefault(str(status), []).append(elapsed)
        n += 1
        await asyncio.sleep(retry_after)  # a shed client waits as told, like any well-behaved one


async def ask_buckets(client: Any) -> dict[float, float]:
    """The server's own latency histogram of answered questions (POST /ask, 200), cumulative counts by bound."""
    text = (await client.get("/metrics")).text
    found = re.findall(
        r'libya_qa_request_duration_seconds_bucket\{le="([^"]+)",method="POST",route="/ask",'
        r'status="200"\} ([0-9.e+]+)',
        text,
    )
    return {float(le): float(n) for le, n in found}


def bucket_quantile(buckets: dict[float, float], q: float) -> float | None:
    """The upper bound (ms) of the bucket holding quantile q: the server-side time, without the client's."""
    total = buckets.get(float("inf"), 0)
    for bound in sorted(buckets):
        if total and buckets[bound] >= q * total:
            return bound * 1000
    return None


async def sample_memory(pid: int, stop: float, peaks: list[int]) -> None:
    """The server's resident memory, every 200 ms."""
    while time.monotonic() < stop:
        peaks.append(rss_bytes(pid)["VmRSS"])
        await asyncio.sleep(0.2)


async def rebuild(client: Any, after: float) -> dict[str, Any]:
    """Start a full rebuild `after` seconds in and follow it to the end."""
    await asyncio.sleep(after)
    started = time.perf_counter()
    response = await client.post("/index", params={"full": "true"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 202, response.text
    while True:
        await asyncio.sleep(0.5)
        status = (await client.get("/index")).json()
        if status["state"] in ("done", "failed"):
            return {
                "rebuild_state": status["state"],
                "rebuild_s": round(time.perf_counter() - started, 1),
                "swapped_to": status["serving_version"],
            }


async def level(url: str, pid: int, users: int, seconds: float, with_rebuild: bool) -> dict[str, Any]:
    """Run `users` users for `seconds`; the level's figures."""
    import httpx

    questions = eval_questions()
    out: dict[str, list] = {}
    peaks: list[int] = []
    limits = httpx.Limits(max_connections=users + 4, max_keepalive_connections=users + 4)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        before = (await client.get("/healthz")).json()["index_version"]
        stop = time.monotonic() + seconds
        tasks = [user(client, questions, i * 7, stop, out) for i in range(users)]
        extra = [rebuild(client, seconds / 6)] if with_rebuild else []
        buckets_before = await ask_buckets(client)
        results = await asyncio.gather(*tasks, sample_memory(pid, stop, peaks), *extra)
        after = (await client.get("/healthz")).json()["index_version"]
        served = {le: n - buckets_before.get(le, 0) for le, n in (await ask_buckets(client)).items()}
    answered, shed = out.pop("200", []), out.pop("503", [])
    row: dict[str, Any] = {
        "users": users,
        "rebuild": with_rebuild,
        "requests": len(answered) + len(shed) + sum(len(v) for v in out.values()),
        "answered": len(answered),
        "shed_503": len(shed),
        "errors": sum(len(v) for v in out.values()),
        "error_kinds": sorted(out),
        "req_per_s": round((len(answered) + len(shed)) / seconds, 1),
    }
    row.update({f"answered_{k}": round(v, 1) for k, v in percentiles(answered).items() if k.startswith("p")})
    row.update({f"shed_{k}": round(v, 1) for k, v in percentiles(shed).items() if k in ("p50_ms", "p99_ms")})
    row["server_p99_ms_at_most"] = bucket_quantile(served, 0.99)
    row["peak_rss_mb"] = round(max(peaks) / 2**20) if peaks else None
    if with_rebuild:
        row.update(results[-1], version_before=before, version_after=after)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--levels", default="16,64,rebuild16")
    parser.add_argument(
        "--index", type=Path, default=None, help="an index of --corpus (default: built in a temp folder)"
    )
    parser.add_argument("--corpus", type=Path, default=FOUNDING_CORPUS)
    parser.add_argument(
        "--max-concurrent", type=int, default=0, help="LIBYA_QA_MAX_CONCURRENT (0: sized to the machine)"
    )
    parser.add_argument("--max-queued", type=int, default=0, help="LIBYA_QA_MAX_QUEUED (0: sized to the machine)")
    args = parser.parse_args()
    corpus, index = (args.corpus, args.index) if args.index else build_index_copy(args.corpus)
    env = {
        "LIBYA_QA_ADMIN_TOKEN": TOKEN,
        "LIBYA_QA_MAX_CONCURRENT": str(args.max_concurrent),
        "LIBYA_QA_MAX_QUEUED": str(args.max_queued),
    }
    rows = []
    with serve(index, corpus, threads=1, extra_env=env) as server:
        for spec in args.levels.split(","):
            users = int(spec.removeprefix("rebuild"))
            print(
                f"{users} users for {args.seconds:g} s{' through a rebuild' if spec.startswith('rebuild') else ''} ...",
                flush=True,
            )
            rows.append(asyncio.run(level(server.url, server.pid, users, args.seconds, spec.startswith("rebuild"))))
            print(table(rows[-1:]), flush=True)
    print(table(rows, title="\nload test"))
    write_results(
        "load",
        {
            "seconds": args.seconds,
            "corpus": str(args.corpus),
            "levels": rows,
            "max_concurrent": args.max_concurrent,
            "max_queued": args.max_queued,
        },
    )


def build_index_copy(corpus: Path) -> tuple[Path, Path]:
    """A copy of the corpus and its index in a temporary folder: the served process may change both
    (an admin token is set), and must never touch the repository's corpus/."""
    import atexit
    import os
    import shutil
    import subprocess
    import tempfile

    from common import CLI

    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    atexit.register(shutil.rmtree, folder, True)
    shutil.copytree(corpus, folder / "corpus")
    env = {**os.environ, "LIBYA_QA_CORPUS": str(folder / "corpus"), "LIBYA_QA_INDEX": str(folder / "index")}
    subprocess.run([str(CLI), "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    return folder / "corpus", folder / "index"


if __name__ == "__main__":
    main()
