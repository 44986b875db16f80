"""PostgreSQL + pgvector against the file store on the same index, in one run.

Loads an existing file-store index into a PostgreSQL (the embedded server under bench/data/pg, or
--database-url) without re-embedding (FileSnapshot.as_embedded), then measures:
  load       the store's write: binary COPY of every row, the HNSW graph, the version switch;
             table and index sizes, rows (and the build time = the file build's embedding + this)
  recall     pgvector HNSW recall@10 against exact search, single-query p50, for several ef_search
  keywords   top-30 overlap with bm25s of BM25 in SQL (what the store uses) and of PostgreSQL
             full-text search (websearch AND, and OR of the same lexemes, ranked by ts_rank_cd)
  share      in-process QA.ask: milliseconds per store verb (dense, keywords, term_idf, sentences,
             article_evidence) and their share of the request, on both stores
  ask        /ask p50/p95 over HTTP, one client, `libya-qa serve` on each store in turn
  throughput requests per second with 4 clients against one, then two serve processes on one database
  add_one    adding one article (and removing it) by an incremental build, on both stores
  paper      the store sized for 1M and 10M articles from the measured bytes per row (on paper)

Run (after `bench/large_corpus.py --max-sentences 250000 --out bench/data/large --build`):
  OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/pg_store.py --index bench/data/large/index \\
      --corpus bench/data/large/corpus --questions eval+titles:100
Small first: bench/pg_store.py (the founding corpus's index/, built by `libya-qa index`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    DATA,
    FOUNDING_CORPUS,
    RESULTS,
    ROOT,
    percentiles,
    serve,
    settings_for,
    table,
    write_results,
)
from latency import question_list, run_level  # noqa: E402

STEPS = ("load", "recall", "keywords", "share", "ask", "throughput", "add_one", "paper")
VERBS = ("select", "dense", "keywords", "term_idf", "sentences", "article_evidence")


def database(args: argparse.Namespace) -> tuple[str, Any]:
    """The benchmark database's URL (the embedded server under bench/data/pg unless one is given), and
    the server when this run started it (to stop at the end)."""
    if args.database_url:
        return args.database_url, None
    from libya_qa.pgserver import ensure_embedded

    DATA.mkdir(parents=True, exist_ok=True)
    return ensure_embedded(DATA / "pg")


def pg_settings(args: argparse.Namespace, url: str) -> Any:
    """Settings for the PostgreSQL side (same corpus, model and index folder for the manifest checks)."""
    return settings_for(args.corpus, args.index, store="postgres", database_url=url)


# --- load -------------------------------------------------------------------------------------
def load(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Copy the file index's current version into an empty schema; seconds, rows and bytes."""
    from libya_qa.filestore import FileStore
    from libya_qa.pgstore import PostgresStore
    from libya_qa.pgstore import database as db_of

    snapshot = FileStore(args.index).load(verify=False)
    with db_of(url).connect() as conn:
        conn.execute("DROP SCHEMA IF EXISTS libya_qa CASCADE")
    manifest = {k: v for k, v in snapshot.manifest.items() if k not in ("files", "counts", "articles", "index_type")}
    embedded = snapshot.as_embedded()
    started = time.perf_counter()
    PostgresStore(url).write_version(snapshot.articles, embedded, None, manifest, {})
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "passages": len(embedded.passages),
        "sentences": len(embedded.sentences),
        "articles": len(snapshot.articles),
        "tables": sizes(url),
    }


def sizes(url: str) -> list[dict[str, Any]]:
    """Rows, heap bytes and index bytes of each table."""
    from libya_qa.pgstore import database as db_of

    rows = []
    with db_of(url).connect() as conn:
        for table_name in ("articles", "passages", "sentences", "passage_terms", "article_terms", "terms"):
            n, heap, total = conn.execute(
                f"SELECT (SELECT count(*) FROM libya_qa.{table_name}), pg_table_size('libya_qa.{table_name}'), "
                f"pg_total_relation_size('libya_qa.{table_name}')"
            ).fetchone()
            rows.append(
                {"table": table_name, "rows": int(n), "heap_mb": heap / 2**20, "indexes_mb": (total - heap) / 2**20}
            )
        hnsw = conn.execute("SELECT pg_relation_size('libya_qa.passages_embedding')").fetchone()[0]
        rows.append(
            {"table": "passages_embedding (HNSW)", "rows": rows[1]["rows"], "heap_mb": 0.0, "indexes_mb": hnsw / 2**20}
        )
    return rows


# --- recall -------------------------------------------------------------------------------------
def question_vectors(questions: list[str]) -> np.ndarray:
    """The questions embedded by the configured model (as QA embeds them)."""
    from libya_qa.encoders import encoder_for

    return np.asarray(encoder_for(settings_for(FOUNDING_CORPUS, ROOT / "index")).encode(questions), np.float32)


def recall(url: str, vectors: np.ndarray, efs: list[int]) -> list[dict[str, Any]]:
    """HNSW recall@10 against exact search over the version's passages, and single-query timings."""
    from libya_qa.pgsnapshot import NEAREST, as_vector
    from libya_qa.pgstore import PostgresStore

    snapshot = PostgresStore(url).load(verify=False)
    exact, times = [], []
    with snapshot.db.pooled() as conn:
        for vector in vectors:
            with conn.transaction():
                conn.execute("SET LOCAL enable_indexscan = off")  # a sequential scan: every distance
                conn.execute("SET LOCAL enable_seqscan = on")
                started = time.perf_counter()
                exact.append(
                    {
                        r[0]
                        for r in conn.execute(
                            NEAREST, {"vector": as_vector(vector), "k": 10, "ranges": snapshot.passage_ranges}
                        )
                    }
                )
                times.append((time.perf_counter() - started) * 1000)
        rows = [{"ef_search": "exact", "recall@10": 1.0, **_ms(times)}]
        for ef in efs:
            found, times = [], []
            for vector in vectors:
                with conn.transaction():
                    conn.execute(f"SET LOCAL hnsw.ef_search = {ef}")
                    conn.execute("SET LOCAL enable_seqscan = off")
                    started = time.perf_counter()
                    found.append(
                        {
                            r[0]
                            for r in conn.execute(
                                NEAREST, {"vector": as_vector(vector), "k": 10, "ranges": snapshot.passage_ranges}
                            )
                        }
                    )
                    times.append((time.perf_counter() - started) * 1000)
            hits = [len(a & b) / max(len(b), 1) for a, b in zip(found, exact)]
            rows.append({"ef_search": ef, "recall@10": float(np.mean(hits)), **_ms(times)})
    return rows


def _ms(samples: list[float]) -> dict[str, float]:
    """p50 and p95 of millisecond samples."""
    p = percentiles(samples)
    return {"p50_ms": p["p50_ms"], "p95_ms": p["p95_ms"]}


# --- keywords -------------------------------------------------------------------------------------
FTS_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_fts AS SELECT p.id, to_tsvector('english', "
    'substr(a.body, p.start + 1, p."end" - p.start)) AS tsv FROM libya_qa.passages p '
    "JOIN libya_qa.articles a ON a.id = p.article"
)
FTS_AND = (
    "SELECT id FROM bench_fts, websearch_to_tsquery('english', %(q)s) query WHERE tsv @@ query "
    "ORDER BY ts_rank_cd(tsv, query) DESC, id LIMIT 30"
)
FTS_OR = (
    "SELECT id FROM bench_fts, CAST(replace(plainto_tsquery('english', %(q)s)::text, '&', '|') AS tsquery) query "
    "WHERE tsv @@ query ORDER BY ts_rank_cd(tsv, query) DESC, id LIMIT 30"
)


def keywords(args: argparse.Namespace, url: str, questions: list[str]) -> list[dict[str, Any]]:
    """Top-30 overlap with bm25s (the file store) of BM25 in SQL and of full-text search; p50 each."""
    from libya_qa.analysis import tokenize
    from libya_qa.filestore import FileStore
    from libya_qa.pgstore import PostgresStore

    files = FileStore(args.index).load(verify=False)
    pg = PostgresStore(url).load(verify=False)
    first = min(a for a, _ in pg.spans.values())  # loaded in file order: passage id = first + file row
    with pg.db.connect() as conn:
        conn.execute("DROP TABLE IF EXISTS bench_fts")  # built from the passages just loaded
        conn.execute(FTS_TABLE)
        conn.execute("CREATE INDEX IF NOT EXISTS bench_fts_gin ON bench_fts USING gin (tsv)")
        conn.execute("ANALYZE bench_fts")
    rows: dict[str, dict[str, list[float]]] = {
        m: {"overlap": [], "ms": [], "returned": []} for m in ("bm25 in SQL", "FTS websearch (AND)", "FTS OR")
    }
    for question in questions:
        reference = set(files.keywords(tokenize(question), 30).passages.tolist())
        if not reference:
            continue
        runs: dict[str, Callable[[], set[int]]] = {
            "bm25 in SQL": lambda question=question: {
                int(p) - first for p in pg.keywords(tokenize(question), 30).passages
            },
            "FTS websearch (AND)": lambda question=question: _fts(pg, FTS_AND, question, first),
            "FTS OR": lambda question=question: _fts(pg, FTS_OR, question, first),
        }
        for name, run in runs.items():
            started = time.perf_counter()
            found = run()
            rows[name]["ms"].append((time.perf_counter() - started) * 1000)
            rows[name]["overlap"].append(len(found & reference) / len(reference))
            rows[name]["returned"].append(len(found))
    return [
        {
            "method": m,
            "overlap@30": float(np.mean(v["overlap"])),
            "mean_returned": float(np.mean(v["returned"])),
            **_ms(v["ms"]),
        }
        for m, v in rows.items()
    ]


def _fts(snapshot: Any, sql: str, question: str, first: int) -> set[int]:
    """Passage rows (file numbering) a full-text query returns."""
    with snapshot.db.pooled() as conn:
        return {int(r[0]) - first for r in conn.execute(sql, {"q": question}).fetchall()}


# --- the database's share of a request ------------------------------------------------------------
def share(args: argparse.Namespace, url: str, questions: list[str]) -> list[dict[str, Any]]:
    """Per store: mean ms of each store verb inside QA.ask, and the verbs' share of the whole request."""
    from libya_qa.encoders import encoder_for, limit_threads
    from libya_qa.qa import QA

    limit_threads(1)
    rows = []
    for kind, settings in (("files", settings_for(args.corpus, args.index)), ("postgres", pg_settings(args, url))):
        qa = QA(settings, encoder_for(settings))
        spent = {verb: 0.0 for verb in VERBS}
        snapshot = qa.loaded.snapshot
        for verb in VERBS:
            setattr(snapshot, verb, _timed(getattr(snapshot, verb), spent, verb))
        for question in questions[:10]:  # warm-up
            qa.ask(question)
        spent.update({verb: 0.0 for verb in VERBS})
        started = time.perf_counter()
        for question in questions:
            qa.ask(question)
        total = (time.perf_counter() - started) * 1000 / len(questions)
        verbs = {f"{verb}_ms": spent[verb] / len(questions) for verb in VERBS}
        rows.append({"store": kind, "ask_ms": total, **verbs, "store_share": sum(verbs.values()) / total})
    return rows


def _timed(method: Callable[..., Any], spent: dict[str, float], verb: str) -> Callable[..., Any]:
    """The method, adding its wall milliseconds to spent[verb]."""

    def wrapper(*a: Any, **k: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*a, **k)
        finally:
            spent[verb] += (time.perf_counter() - started) * 1000

    return wrapper


# --- over HTTP ----------------------------------------------------------------------------------------
def served_env(url: str | None) -> dict[str, str]:
    """Environment of a serve subprocess: this checkout's package, one thread, the store."""
    env = {"PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    if url:
        env |= {"LIBYA_QA_STORE": "postgres", "LIBYA_QA_DATABASE_URL": url}
    return env


def ask(args: argparse.Namespace, url: str, questions: list[str]) -> list[dict[str, Any]]:
    """/ask at concurrency 1 on each store in turn (same questions, same order)."""
    rows = []
    for kind, env in (("files", served_env(None)), ("postgres", served_env(url))):
        with serve(args.index, args.corpus, extra_env=env) as server:
            run_level(server.url, questions, 1, 20, 60.0)  # warm-up
            row = run_level(server.url, questions, 1, args.requests, 60.0)
        rows.append(
            {
                "store": kind,
                **{k: row[k] for k in ("requests", "errors", "p50_ms", "p95_ms", "p99_ms", "rps", "server_p50_ms")},
            }
        )
        print(table(rows[-1:]), flush=True)
    return rows


def throughput(args: argparse.Namespace, url: str, questions: list[str]) -> list[dict[str, Any]]:
    """Requests per second from 4 clients against one serve process, then two, on one database."""
    rows = []
    for n in (1, 2):
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(serve(args.index, args.corpus, extra_env=served_env(url))) for _ in range(n)]
            for server in servers:
                run_level(server.url, questions, 1, 10, 60.0)
            results: list[dict[str, Any]] = []
            started = time.perf_counter()
            threads = [
                threading.Thread(
                    target=lambda s=s, n=n, results=results: results.append(
                        run_level(s.url, questions, 4 // n, args.requests // n, 60.0)
                    )
                )
                for s in servers
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        served = sum(r["requests"] for r in results)
        rows.append(
            {
                "serve_processes": n,
                "clients": 4,
                "requests": served,
                "errors": sum(r["errors"] for r in results),
                "rps": served / wall,
                "p50_ms": float(np.median([r["p50_ms"] for r in results])),
                "p95_ms": max(r["p95_ms"] for r in results),
            }
        )
        print(table(rows[-1:]), flush=True)
    return rows


# --- adding one article -------------------------------------------------------------------------------
def add_one(args: argparse.Namespace, url: str) -> list[dict[str, Any]]:
    """An incremental build adding one founding article under a new id, then one removing it, per store."""
    from dataclasses import replace

    from libya_qa.build import build_index
    from libya_qa.corpus import load_corpus
    from libya_qa.encoders import encoder_for, limit_threads

    limit_threads(1)
    articles = load_corpus(args.corpus)
    extra = load_corpus(FOUNDING_CORPUS)[0]
    extra = replace(extra, source=replace(extra.source, id=extra.id + "-bench-copy"))
    rows = []
    for kind, settings in (("files", settings_for(args.corpus, args.index)), ("postgres", pg_settings(args, url))):
        encoder = encoder_for(settings)
        for action, listed in (("add", [*articles, extra]), ("remove", articles)):
            report = build_index(settings, encoder, listed)
            rows.append(
                {
                    "store": kind,
                    "action": action,
                    "seconds": report.seconds,
                    "embedding_s": report.encode_seconds,
                    "rest_s": report.seconds - report.encode_seconds,
                    "encoded_sentences": report.encoded_sentences,
                }
            )
            print(table(rows[-1:]), flush=True)
    return rows


# --- on paper -----------------------------------------------------------------------------------------
def paper(loaded: dict[str, Any], sentences_per_second_per_core: float) -> list[dict[str, Any]]:
    """Rows, bytes, HNSW memory and embedding hours for 1M and 10M articles, scaled from the measured ones."""
    tables = {t["table"]: t for t in loaded["tables"]}
    per_article = {name: t["rows"] / loaded["articles"] for name, t in tables.items()}
    mb_per_article = (
        sum(t["heap_mb"] + t["indexes_mb"] for name, t in tables.items() if not name.startswith("passages_embedding"))
        / loaded["articles"]
    )
    hnsw_per_passage = tables["passages_embedding (HNSW)"]["indexes_mb"] / tables["passages"]["rows"]
    rows = []
    for articles in (1_000_000, 10_000_000):
        passages, sentences = per_article["passages"] * articles, per_article["sentences"] * articles
        rows.append(
            {
                "articles": articles,
                "passages": passages,
                "sentences": sentences,
                "postings": per_article["passage_terms"] * articles,
                "database_gb": mb_per_article * articles / 1024,
                "hnsw_gb": hnsw_per_passage * passages / 1024,
                "embedding_core_hours": sentences / sentences_per_second_per_core / 3600,
            }
        )
    return rows


def embedding_rate(args: argparse.Namespace) -> float:
    """Sentences per second per core of the large corpus's build (its results JSON), else of a quick run."""
    import json

    for name in ("large_corpus-250000.json", "large_corpus.json"):
        path = RESULTS / name
        if path.exists():
            build = json.loads(path.read_text()).get("build")
            if build:
                return build["sentences"] / build["encode_seconds"]  # built with OMP_NUM_THREADS=1: one core
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--corpus", type=Path, default=FOUNDING_CORPUS)
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL of your own (default: embedded, bench/data/pg)"
    )
    parser.add_argument("--questions", default="eval", help="eval | eval+titles:N")
    parser.add_argument("--requests", type=int, default=200, help="requests per /ask or throughput run")
    parser.add_argument("--ef", default="40,64,100,200", help="hnsw.ef_search values for the recall step")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated, from: " + ", ".join(STEPS))
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    url, started = database(args)
    try:
        return run(args, url)
    finally:
        if started is not None:
            started.stop()


def run(args: argparse.Namespace, url: str) -> int:
    """Every chosen step against the database at `url`; prints tables and writes the JSON."""
    steps = [s for s in args.steps.split(",") if s]
    label = args.label or ("founding" if args.corpus == FOUNDING_CORPUS else args.corpus.parent.name)
    questions = question_list(args.questions, args.corpus)
    result: dict[str, Any] = {"label": label, "index": str(args.index), "questions": len(questions), "steps": steps}
    print(f"database {url}; {len(questions)} questions; load average {os.getloadavg()}", flush=True)
    if "load" in steps:
        result["load"] = load(args, url)
        print(table(result["load"]["tables"], title=f"loaded in {result['load']['seconds']} s"), flush=True)
    if "recall" in steps:
        result["recall"] = recall(url, question_vectors(questions), [int(e) for e in args.ef.split(",")])
        print(table(result["recall"], title="HNSW recall@10 against exact search"), flush=True)
    for name, step in (("keywords", keywords), ("share", share), ("ask", ask), ("throughput", throughput)):
        if name in steps:
            result[name] = step(args, url, questions)
            print(table(result[name], title=name), flush=True)
    if "add_one" in steps:
        result["add_one"] = add_one(args, url)
    if "paper" in steps:
        loaded = result.get("load") or {
            "articles": next(t["rows"] for t in sizes(url) if t["table"] == "articles"),
            "tables": sizes(url),
        }
        result["sentences_per_second_per_core"] = embedding_rate(args)
        result["paper"] = paper(loaded, result["sentences_per_second_per_core"])
        print(table(result["paper"], title="ON PAPER: scaled from the measured rows and bytes"), flush=True)
    result["loadavg_at_end"] = list(os.getloadavg())
    write_results(f"pg_store-{label}", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
