"""PostgreSQL in service: a build killed half-way, two `serve` processes through swaps, a read replica,
and the evaluation set giving the same figures as the file store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, TINY, fresh_database, kill_build_at, real_encoder_for, start_test_server, stop_test_server

from libya_qa.build import build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.evaluation import evaluate, load_cases
from libya_qa.pgserver import EmbeddedPostgres, free_port
from libya_qa.qa import QA
from libya_qa.schema import Article
from libya_qa.stores import open_store

QUESTIONS = ["Who backed Haftar?", "Where did weapons flow after 2011?", "Qatar Libya Dawn", "oil exports"]
pytestmark = pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)


def rebuild_with_alpha(settings: Settings, n: int) -> str:
    """Change alpha's text (shifting every offset) and build; the new version."""
    write_article(settings.corpus_dir, Article(TINY[0].source, f"Revision {n}{'!' * n}. " + TINY[0].body))
    return build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir)).version


def environment(settings: Settings) -> dict[str, str]:
    """The LIBYA_QA_* variables that point a subprocess at the test's corpus and database."""
    return {
        **os.environ,
        "LIBYA_QA_STORE": "postgres",
        "LIBYA_QA_DATABASE_URL": settings.database_url,
        "LIBYA_QA_MODEL": "hashing-test-encoder",
        "LIBYA_QA_ANSWER_THRESHOLD": "0",
        "LIBYA_QA_CORPUS": str(settings.corpus_dir),
        "LIBYA_QA_INDEX": str(settings.index_dir),
        "PYTHONPATH": str(ROOT / "src"),
    }


def table_counts(settings: Settings) -> tuple[int, ...]:
    """Rows in the store's main tables."""
    with open_store(settings).db.pooled() as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM libya_qa.{t}").fetchone()[0]
            for t in ("articles", "passages", "sentences", "passage_terms", "versions")
        )


# --- a build killed half-way ------------------------------------------------------------------
STALL_AT = {
    "encode": "libya_qa.encoders:HashingEncoder.encode",
    # every row COPY'd inside the build's transaction, the version not yet written
    "write": "libya_qa.pgwrite:_analyze_if_grown",
}


@pytest.mark.parametrize("point", ["encode", "write"])
def test_a_build_killed_half_way_leaves_the_current_version_serving(
    tiny_settings: Settings, tmp_path: Path, point: str
) -> None:
    before = rebuild_with_alpha(tiny_settings, 1)
    rows = table_counts(tiny_settings)
    kill_build_at(STALL_AT[point], environment(tiny_settings), tmp_path / "stalled")
    store = open_store(tiny_settings)
    for _ in range(100):  # the server notices the dead client and rolls its transaction back
        if table_counts(tiny_settings) == rows:
            break
        time.sleep(0.1)
    assert store.current_version() == before and table_counts(tiny_settings) == rows
    answer = QA(tiny_settings, HashingEncoder()).ask("Who backed Haftar?")
    assert answer.index_version == before and answer.excerpts
    with store.lock():  # the dead builder's lock went with its connection
        pass
    assert rebuild_with_alpha(tiny_settings, 2) == store.current_version() != before


# --- two serve processes on one database ------------------------------------------------------
@pytest.fixture()
def two_servers(tiny_settings: Settings) -> Iterator[list[str]]:
    """Two `libya-qa serve` processes on the test's database; their base URLs."""
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "libya_qa.cli", "serve", "--port", str(port)],
                    env=environment(tiny_settings),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes):
            for _ in range(600):  # bounded: start-up imports the app
                try:
                    get(url + "/healthz")
                    break
                except OSError:
                    assert process.poll() is None, "a serve process exited"
                    time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def get(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """GET (or POST JSON) on 127.0.0.1; the JSON answer (raises on any non-200)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_two_serve_processes_answer_through_builds_and_swaps(tiny_settings: Settings, two_servers: list[str]) -> None:
    settings = replace(tiny_settings, keep_versions=10)
    answers: list[dict[str, Any]] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def ask(url: str) -> None:
        for n in range(5000):  # bounded; stopped once both servers serve the last version
            if stop.is_set():
                return
            try:
                answers.append(get(url + "/ask", {"question": QUESTIONS[n % len(QUESTIONS)]}))
            except Exception as exc:  # collected: no request may fail during a build or a swap
                errors.append(exc)

    threads = [threading.Thread(target=ask, args=(url,)) for url in two_servers for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        versions = [rebuild_with_alpha(settings, n) for n in range(1, 4)]
        for url in two_servers:
            for _ in range(300):  # each server switches within about a second (bounded wait)
                if get(url + "/healthz")["index_version"] == versions[-1]:
                    break
                time.sleep(0.05)
            assert get(url + "/healthz")["index_version"] == versions[-1]
        seen = len(answers)
        for _ in range(300):
            if len(answers) > seen + 8:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not errors, errors[:3]
    store = open_store(settings)
    bodies = {v: {a: store.load(v).article_by_id(a).body for a in ("alpha", "beta")} for v in store.versions()}
    assert len({a["index_version"] for a in answers}) >= 2
    for answer in answers:
        for e in answer["excerpts"]:
            assert bodies[answer["index_version"]][e["source"]["id"]][e["start"] : e["end"]] == e["quote"]


# --- a streaming read replica -----------------------------------------------------------------
@pytest.fixture()
def replica(postgres_server: EmbeddedPostgres) -> Iterator[EmbeddedPostgres]:
    """A hot standby of the session's server (pg_basebackup -R), streaming from it."""
    server = start_test_server("replica", primary=postgres_server.url("postgres"))
    yield server
    stop_test_server(server)


def test_a_streaming_replica_answers_exactly_as_the_primary(tiny_settings: Settings, replica: EmbeddedPostgres) -> None:
    database = tiny_settings.database_url.rsplit("/", 1)[1]
    on_replica = replace(tiny_settings, database_url=replica.url(database))
    wait_for(lambda: open_store(on_replica).current_version() == open_store(tiny_settings).current_version())
    primary_qa, replica_qa = QA(tiny_settings, HashingEncoder()), QA(on_replica, HashingEncoder())
    version = rebuild_with_alpha(tiny_settings, 1)  # built on the primary only
    wait_for(lambda: open_store(on_replica).current_version() == version)
    assert primary_qa.reload() and replica_qa.reload()
    for question in QUESTIONS:
        assert primary_qa.ask(question).to_dict() | {"took_ms": 0} == replica_qa.ask(question).to_dict() | {
            "took_ms": 0
        }
    assert replica_qa.ask(QUESTIONS[0]).index_version == version


def wait_for(condition: Any, tries: int = 200) -> None:
    """Poll a condition (bounded: about ten seconds), failing if it never holds."""
    for _ in range(tries):
        if condition():
            return
        time.sleep(0.05)
    assert condition()


# --- the evaluation set on both stores ---------------------------------------------------------
@pytest.mark.model
def test_the_evaluation_gives_the_same_hit_rates_on_both_stores(
    real_settings: Settings, real_qa: QA, postgres_server: EmbeddedPostgres, store_kind: str
) -> None:
    cases = load_cases(ROOT / "tests/data/eval.jsonl")
    files = evaluate(real_qa, cases).summary()
    for url in fresh_database(postgres_server):
        settings = replace(real_settings, store="postgres", database_url=url)
        encoder = real_encoder_for(settings)
        build_index(settings, encoder, load_corpus(settings.corpus_dir))
        postgres = evaluate(QA(settings, encoder), cases).summary()
    one_question = 1 / files["answerable"] + 1e-9
    print(f"\nevaluation, files: {files}\nevaluation, postgres: {postgres}")
    assert abs(files["hit@1"] - postgres["hit@1"]) <= one_question
    assert abs(files["hit@5"] - postgres["hit@5"]) <= one_question
    assert postgres["verbatim_share"] == 1.0
