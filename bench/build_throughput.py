"""Index build throughput against the encoder's own ceiling, and the cost of adding one article.

In one run, on the same sentence texts: the raw encoder (encoder.encode over every sentence a build
embeds) and a full build (libya_qa.build.build_index, full=True). The ratio is the build's
throughput over the encoder's (target >= 0.9). Then one held-out article is added and an
incremental build timed (target: < 5 s plus that article's embedding time). Each build's time
is broken down by stage (wrapping the build module's functions; nothing in the package changes).

--encoder random swaps the model for a model-free random encoder: the build's non-embedding
overhead at scale without spending CPU on embeddings (its ratio is meaningless and not shown).

Run: nice -n 10 .venv/bin/python bench/build_throughput.py                        # founding corpus
     nice -n 10 .venv/bin/python bench/build_throughput.py --corpus bench/data/large/corpus
     .venv/bin/python bench/build_throughput.py --corpus bench/data/large/corpus --encoder random
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    FOUNDING_CORPUS,
    RandomEncoder,
    folder_bytes,
    sentence_texts,
    settings_for,
    table,
    write_results,
)

# (module, attribute path) of each timed stage: the file store's parts, wherever they live.
STAGES = (
    ("filestore", "FileStore.load"),
    ("tables", "Tables.keep"),
    ("build", "embed_articles"),
    ("tables", "Tables.passage_vectors"),
    ("dense", "DenseIndex.build"),
    ("dense", "DenseIndex.carried_forward"),
    ("filestore", "write_version_folder"),
    ("filestore", "prune_versions"),
)
STAGE_NAMES = tuple(path.split(".")[-1] for _, path in STAGES)


@contextmanager
def stage_timer() -> Iterator[dict[str, float]]:
    """Accumulate wall seconds per build-module function while the block runs."""
    import importlib

    totals: dict[str, float] = defaultdict(float)
    originals: list[tuple[Any, str, Callable[..., Any]]] = []

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                totals[name] += time.perf_counter() - t0

        return timed

    for module_name, path in STAGES:
        owner: Any = importlib.import_module(f"libya_qa.{module_name}")
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        originals.append((owner, name, original))
        function = original.__func__ if isinstance(original, classmethod) else original
        timed = wrap(name, function)
        setattr(owner, name, classmethod(timed) if isinstance(original, classmethod) else timed)
    try:
        yield totals
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def bm25_index_seconds(totals: dict[str, float], build_s: float, encode_s: float) -> float:
    """What the wrapped stages do not cover (BM25 indexing, table assembly, hashing of articles)."""
    covered = sum(v for k, v in totals.items() if k != "embed_articles") + encode_s  # encode_s is embed_articles
    return max(0.0, build_s - covered)


def time_questions(settings: Any, encoder: Any, n: int) -> dict[str, Any]:
    """QA.ask latency in-process on the index just built (with a random encoder: search cost alone)."""
    from common import eval_questions, percentiles

    from libya_qa.qa import QA

    t0 = time.perf_counter()
    qa = QA(settings, encoder)
    load_s = time.perf_counter() - t0
    questions = (eval_questions() * (n // 100 + 1))[:n]
    for q in questions[:5]:
        qa.ask(q)
    total, embed = [], []
    for q in questions:
        t0 = time.perf_counter()
        encoder.encode([q])
        embed.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        qa.ask(q)
        total.append((time.perf_counter() - t0) * 1000)
    out = percentiles(total)
    return {"questions": n, "load_s": load_s, **out, "embed_p50_ms": percentiles(embed)["p50_ms"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=FOUNDING_CORPUS)
    parser.add_argument("--max-articles", type=int, default=0)
    parser.add_argument("--encoder", choices=("model", "random"), default="model")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--index-type", default="auto")
    parser.add_argument("--repeat", type=int, default=1, help="raw-encoder runs (best is the ceiling)")
    parser.add_argument(
        "--ask", type=int, default=50, help="then time this many evaluation questions through QA.ask on the built index"
    )
    parser.add_argument("--keep", type=Path, help="build into this index folder instead of a temporary one")
    parser.add_argument("--threads", type=int, default=0, help="torch/faiss intra-op threads (0 = default)")
    args = parser.parse_args()
    if args.threads:
        from libya_qa.encoders import limit_threads

        limit_threads(args.threads)

    from libya_qa.build import build_index
    from libya_qa.corpus import load_corpus
    from libya_qa.encoders import load_encoder

    t0 = time.perf_counter()
    articles = load_corpus(args.corpus)
    corpus_load_s = time.perf_counter() - t0
    if args.max_articles:
        articles = articles[: args.max_articles]
    held_out, initial = (
        articles[len(articles) // 2],
        articles[: len(articles) // 2] + articles[len(articles) // 2 + 1 :],
    )
    probe = settings_for(args.corpus, Path("."), index_type=args.index_type)
    encoder = RandomEncoder() if args.encoder == "random" else load_encoder(probe.model, args.precision)
    texts = sentence_texts(initial, probe)
    print(
        f"{len(initial)} articles, {len(texts):,} sentences (corpus parsed in {corpus_load_s:.1f}s); "
        f"held out for the incremental build: {held_out.id}",
        flush=True,
    )
    encoder.encode(texts[:64])  # warm-up
    raw = []
    for _ in range(args.repeat if args.encoder == "model" else 1):
        t0 = time.perf_counter()
        encoder.encode(texts)
        raw.append(time.perf_counter() - t0)
    raw_s = min(raw)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        index_dir = args.keep or Path(tmp) / "index"
        settings = settings_for(args.corpus, index_dir, index_type=args.index_type)
        with stage_timer() as full_stages:
            t0 = time.perf_counter()
            full = build_index(settings, encoder, initial, full=True)
            full_s = time.perf_counter() - t0
        index_bytes = folder_bytes(index_dir)
        with stage_timer() as inc_stages:
            t0 = time.perf_counter()
            inc = build_index(settings, encoder, initial + [held_out], full=False)
            inc_s = time.perf_counter() - t0
        ask = time_questions(settings, encoder, args.ask) if args.ask else {}
    full_row: dict[str, Any] = {
        "build": "full",
        "articles": full.articles,
        "passages": full.passages,
        "sentences": full.sentences,
        "index_type": full.index_type,
        "seconds": full_s,
        "encode_s": full.encode_seconds,
        "overhead_s": full_s - full.encode_seconds,
        "passages_per_s": full.passages / full_s,
        "sentences_per_s": full.sentences / full_s,
    }
    if args.encoder == "model":
        full_row.update(
            {"raw_encoder_s": raw_s, "encoder_sentences_per_s": len(texts) / raw_s, "ratio_to_encoder": raw_s / full_s}
        )
    inc_row = {
        "build": "incremental +1",
        "articles": inc.articles,
        "passages": inc.passages,
        "sentences": inc.sentences,
        "index_type": inc.index_type,
        "seconds": inc_s,
        "encode_s": inc.encode_seconds,
        "overhead_s": inc_s - inc.encode_seconds,
        "encoded_sentences": inc.encoded_sentences,
        "under_5s_plus_embedding": inc_s - inc.encode_seconds < 5.0,
    }
    rows = [full_row, inc_row]
    print()
    print(
        table(
            rows,
            [
                "build",
                "articles",
                "passages",
                "sentences",
                "index_type",
                "seconds",
                "encode_s",
                "overhead_s",
                "passages_per_s",
            ],
            title=f"index builds ({args.encoder} encoder)",
        )
    )
    if args.encoder == "model":
        print(
            f"\nraw encoder: {len(texts) / raw_s:,.1f} sentences/s; full build: {full.sentences / full_s:,.1f} "
            f"sentences/s; ratio {raw_s / full_s:.3f} (target >= 0.9)"
        )
    stage_rows = []
    for name in (*STAGE_NAMES, "encode"):
        stage_rows.append(
            {
                "stage": name,
                "full_s": full.encode_seconds if name == "encode" else full_stages.get(name, 0.0),
                "incremental_s": inc.encode_seconds if name == "encode" else inc_stages.get(name, 0.0),
            }
        )
    stage_rows.append(
        {
            "stage": "other (bm25 index, tables, manifest)",
            "full_s": bm25_index_seconds(full_stages, full_s, full.encode_seconds),
            "incremental_s": bm25_index_seconds(inc_stages, inc_s, inc.encode_seconds),
        }
    )
    print()
    print(
        table(
            stage_rows,
            title="where the time goes (wall seconds; encode is embed_articles: chunking, tokenising, embedding)",
        )
    )
    if ask:
        print(
            f"\nQA.ask on this index ({ask['questions']} questions, in-process): "
            f"p50 {ask['p50_ms']:.1f} ms, p95 {ask['p95_ms']:.1f} ms; of which query embedding p50 "
            f"{ask['embed_p50_ms']:.1f} ms (load {ask['load_s']:.2f}s)"
        )
    print(
        f"\nindex on disk: {index_bytes / 2**20:.1f} MiB, {index_bytes / max(full.passages, 1):,.0f} bytes per passage"
    )
    label = (
        "founding"
        if args.corpus == FOUNDING_CORPUS
        else (args.corpus.parent.name if args.corpus.name == "corpus" else args.corpus.name)
    )
    suffix = f"-{args.precision}" if args.encoder == "model" else ""
    write_results(
        f"build_throughput-{args.encoder}-{label}{suffix}",
        {
            "corpus": str(args.corpus),
            "encoder": args.encoder,
            "precision": args.precision,
            "rows": rows,
            "stages": stage_rows,
            "raw_encoder_runs_s": raw,
            "index_bytes": index_bytes,
            "held_out": held_out.id,
            "ask": ask,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
