"""Both stores behave alike: builds, versions, rollback, pruning, filters, and the same answers.

Tests marked `both_stores` run on the file store and on a real PostgreSQL with pgvector (started
once per session by conftest); the rest compare the two stores directly or test what only the
PostgreSQL store has (errors naming the database, the embedded server).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, TINY, make_settings

from libya_qa.analysis import tokenize
from libya_qa.build import build_index
from libya_qa.cli import main
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.errors import Conflict, IndexUnavailable
from libya_qa.pgserver import EmbeddedPostgres, free_port
from libya_qa.qa import QA
from libya_qa.schema import Article, Filters, Source
from libya_qa.sources import build_lock
from libya_qa.stores import open_store

QUESTIONS = [
    "Who backed Haftar?",
    "Where did weapons flow after 2011?",
    "oil exports",
    "Qatar Libya Dawn",
    "Which envoy did Turkey send?",
    "What was the weather in Tripoli?",
]
GAMMA = Article(
    Source("gamma", "Gamma", "Gil", "Pub", "2016-05-02"),
    "Oil exports from Ras Lanuf resumed in 2016. The port had been closed for two years.",
)


def rebuild_with_alpha(settings: Settings, n: int) -> str:
    """Change alpha's text (shifting every offset) and build; the new version."""
    write_article(settings.corpus_dir, Article(TINY[0].source, f"Revision {n}{'!' * n}. " + TINY[0].body))
    return build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir)).version


def excerpts_of(qa: QA, question: str, filters: Filters | None = None) -> list[tuple[str, int, int, float]]:
    """(source, start, end, score) of each excerpt of an answer."""
    return [(e.source.id, e.start, e.end, e.score) for e in qa.ask(question, filters=filters).excerpts]


def assert_same_answers(a: QA, b: QA, questions: list[str]) -> None:
    """Identical excerpts (source and offsets, in order), scores within float16 rounding."""
    for question in questions:
        left, right = excerpts_of(a, question), excerpts_of(b, question)
        assert [x[:3] for x in left] == [x[:3] for x in right], question
        assert np.allclose([x[3] for x in left], [x[3] for x in right], atol=2e-3), question


# --- the two stores side by side ----------------------------------------------------------------
def test_the_two_stores_answer_the_tiny_corpus_alike(tmp_path: Path, database_url: str) -> None:
    qas = []
    for kind, url in (("files", ""), ("postgres", database_url)):
        settings = make_settings(
            tmp_path / kind, model="hashing-test-encoder", answer_threshold=0.0, store=kind, database_url=url
        )
        for article in [*TINY, GAMMA]:
            write_article(settings.corpus_dir, article)
        build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
        qas.append(QA(settings, HashingEncoder()))
    assert_same_answers(*qas, QUESTIONS)
    files, pg = (qa.loaded.snapshot for qa in qas)
    assert [(e.source, e.passages, e.sha256) for e in files.catalogue()] == [
        (e.source, e.passages, e.sha256) for e in pg.catalogue()
    ]
    assert pg.article_by_id("gamma") == GAMMA and pg.article_by_id("nope") is None


def test_bm25_in_sql_ranks_and_scores_as_bm25s(tmp_path: Path, database_url: str) -> None:
    """The real corpus's passages, keyword-searched by bm25s (files) and by SQL (PostgreSQL)."""
    from libya_qa.evaluation import load_cases

    snapshots = []
    for kind, url in (("files", ""), ("postgres", database_url)):
        settings = replace(
            make_settings(tmp_path / kind, model="hashing-test-encoder", store=kind, database_url=url),
            corpus_dir=ROOT / "corpus",
        )
        build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
        snapshots.append(open_store(settings).load())
    files, pg = snapshots
    assert files.manifest["counts"] == pg.manifest["counts"]
    assert set(files.vocabulary()) == set(pg.vocabulary()) and "haftar" in files.vocabulary()  # one version built
    rows = {e.key: n for n, e in enumerate(pg.catalogue())}  # both list articles by id
    first_passage = {e.key: pg.spans[e.key][0] for e in pg.catalogue()}
    file_start = np.concatenate(([0], np.cumsum([e.passages for e in files.catalogue()])))
    to_file_row = {
        first_passage[k] + i: int(file_start[rows[k]]) + i
        for k in first_passage
        for i in range(pg.spans[k][1] - pg.spans[k][0])
    }
    for case in load_cases(ROOT / "tests/data/eval.jsonl"):
        terms = tokenize(case.question)
        a, b = files.keywords(terms, 30), pg.keywords(terms, 30)
        assert len(a.passages) == len(b.passages), case.question
        assert np.allclose(a.scores, b.scores, rtol=1e-4), case.question
        top = a.scores > a.scores[min(len(a.scores), 30) - 1] if len(a.scores) else []  # ties at the cut may differ
        assert set(a.passages[top]) == {to_file_row[int(p)] for p in b.passages[top]}, case.question
        idf_a, idf_b = files.term_idf(terms + ["zzzunseen"]), pg.term_idf(terms + ["zzzunseen"])
        assert idf_a.keys() == idf_b.keys() and all(abs(idf_a[t] - idf_b[t]) < 1e-6 for t in idf_a)
        keys_a, keys_b = np.arange(len(files.articles)), np.array([e.key for e in pg.catalogue()])
        ev_a = files.article_evidence(keys_a, terms, idf_a, np.ones(64) / 8.0)
        ev_b = pg.article_evidence(keys_b, terms, idf_b, np.ones(64) / 8.0)
        for field in ("keywords", "lead", "lead_coverage"):
            assert np.allclose(getattr(ev_a, field), getattr(ev_b, field), atol=2e-3), (field, case.question)


# --- builds and versions, on both stores ---------------------------------------------------------
@pytest.mark.both_stores
def test_an_incremental_build_embeds_only_new_and_changed_articles(tiny_settings: Settings) -> None:
    qa = QA(tiny_settings, HashingEncoder())
    write_article(tiny_settings.corpus_dir, GAMMA)
    (tiny_settings.corpus_dir / "beta.md").unlink()
    report = build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir))
    assert (report.added, report.updated, report.removed, report.unchanged) == (("gamma",), (), ("beta",), 1)
    assert report.encoded_sentences == 2 and report.articles == 2
    assert qa.reload() and [e.source.id for e in qa.articles()] == ["alpha", "gamma"]
    assert excerpts_of(qa, "When did oil exports from Ras Lanuf resume?")[0][0] == "gamma"
    again = build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir))
    assert again.encoded_sentences == 0 and again.unchanged == 2


@pytest.mark.both_stores
def test_rollback_serves_the_previous_version_and_deletes_nothing(tiny_settings: Settings) -> None:
    store = open_store(tiny_settings)
    first = store.current_version()
    qa = QA(tiny_settings, HashingEncoder())
    second = rebuild_with_alpha(tiny_settings, 1)
    assert qa.reload() and qa.ask("Who backed Haftar?").index_version == second
    with store.lock():
        assert store.rollback() == (second, first)
    assert store.current_version() == first and qa.reload()
    assert qa.ask("Who backed Haftar?").index_version == first
    assert qa.loaded.snapshot.article_by_id("alpha").body == TINY[0].body
    with pytest.raises(IndexUnavailable) as info:
        store.rollback()
    assert info.value.code == "no_previous_version" and "libya-qa index --full" in info.value.message
    assert store.versions() == [first, second]


@pytest.mark.both_stores
def test_only_the_newest_versions_are_kept_and_each_stays_whole(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, keep_versions=2)
    store = open_store(settings)
    versions = [store.current_version()] + [rebuild_with_alpha(settings, n) for n in range(1, 4)]
    assert store.versions() == versions[-2:]
    older = store.load(versions[-2])  # verified: every row of the kept older version is still there
    assert older.article_by_id("alpha").body.startswith("Revision 2!!.")
    if settings.store == "postgres":  # rows of pruned versions are gone, rows of kept ones shared
        with store.db.pooled() as conn:
            assert conn.execute("SELECT count(*) FROM libya_qa.articles").fetchone()[0] == 3


@pytest.mark.both_stores
def test_one_build_at_a_time_per_store(tiny_settings: Settings) -> None:
    with build_lock(tiny_settings):
        with pytest.raises(Conflict) as info:
            with build_lock(tiny_settings):
                pass
    assert info.value.code == "busy"
    with build_lock(tiny_settings):  # released when the holder is done
        pass


@pytest.mark.both_stores
def test_filters_restrict_both_retrievers_without_thinning_the_top_k(tiny_settings: Settings) -> None:
    write_article(tiny_settings.corpus_dir, GAMMA)
    build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir))
    qa = QA(tiny_settings, HashingEncoder())
    snapshot = qa.loaded.snapshot
    only = Filters(sources=("beta", "gamma"))
    assert {e[0] for e in excerpts_of(qa, "Who backed Haftar? oil exports", only)} <= {"beta", "gamma"}
    dated = snapshot.select(Filters(date_from="2016"))
    assert dated.undated_left_out == 1 and len(dated.keys) == 1  # beta has no date; alpha is 2015
    selection = snapshot.select(only)
    vector = HashingEncoder().encode(["oil exports"])[0]
    found = snapshot.dense(vector, 30, selection)
    passages = sum(e.passages for e in snapshot.catalogue() if e.source.id in ("beta", "gamma"))
    assert len(found.passages) == passages  # every passage of the filter, not a thinned top-k
    alpha_only = snapshot.select(Filters(sources=("alpha",)))
    assert set(snapshot.keywords(tokenize("oil exports"), 30, alpha_only).passages) <= set(
        snapshot.dense(vector, 30, alpha_only).passages
    )
    assert len(snapshot.keywords(tokenize("oil exports"), 30, alpha_only).passages) == 1
    assert not len(snapshot.dense(vector, 30, snapshot.select(Filters(sources=("nobody",)))).passages)


# --- errors that name what to fix (PostgreSQL) ---------------------------------------------------
def test_an_unreachable_database_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/libya_qa"
    settings = make_settings(tmp_path, store="postgres", database_url=url, model="hashing-test-encoder")
    with pytest.raises(IndexUnavailable) as info:
        QA(settings, HashingEncoder())
    assert info.value.code == "database_unreachable" and info.value.status == 503
    assert "127.0.0.1" in info.value.message and "LIBYA_QA_DATABASE_URL" in info.value.message
    monkeypatch.setenv("LIBYA_QA_STORE", "postgres")
    monkeypatch.setenv("LIBYA_QA_DATABASE_URL", url)
    monkeypatch.setenv("LIBYA_QA_MODEL", "hashing-test-encoder")
    assert main(["ask", "Who backed Haftar?"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and error.startswith("error [database_unreachable]")


def test_a_database_without_pgvector_says_how_to_add_it(
    store_settings: Settings, postgres_server: EmbeddedPostgres, database_url: str
) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:  # an owner who may not create extensions
        conn.execute("DROP ROLE IF EXISTS plain_owner")
        conn.execute("CREATE ROLE plain_owner LOGIN")
        conn.execute("GRANT CREATE ON SCHEMA public TO plain_owner")
        conn.execute(f"GRANT CREATE ON DATABASE {database_url.rsplit('/', 1)[1]} TO plain_owner")
    settings = replace(
        make_settings(store_settings.corpus_dir.parent, model="hashing-test-encoder"),
        store="postgres",
        database_url=database_url.replace("postgres@", "plain_owner@"),
    )
    for article in TINY:
        write_article(settings.corpus_dir, article)
    with pytest.raises(IndexUnavailable) as info:
        build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
    assert info.value.code == "pgvector_missing" and "CREATE EXTENSION vector" in info.value.message
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP OWNED BY plain_owner")
        conn.execute("DROP ROLE plain_owner")


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_a_schema_of_another_model_or_format_is_refused_with_the_fix(tiny_settings: Settings) -> None:
    other = HashingEncoder(dimension=32, name="hashing-test-encoder-32")
    with pytest.raises(IndexUnavailable) as info:
        build_index(replace(tiny_settings, model=other.name), other, load_corpus(tiny_settings.corpus_dir))
    assert info.value.code == "index_model_mismatch" and "DROP SCHEMA libya_qa CASCADE" in info.value.message
    with pytest.raises(IndexUnavailable) as info:
        QA(replace(tiny_settings, model=other.name), other)
    assert info.value.code == "index_model_mismatch" and "hashing-test-encoder-32" in info.value.message
    store = open_store(tiny_settings)
    with store.db.pooled() as conn:
        conn.execute("UPDATE libya_qa.meta SET format = 0")
    with pytest.raises(IndexUnavailable) as info:
        QA(tiny_settings, HashingEncoder())
    assert info.value.code == "index_format" and "libya-qa index" in info.value.message


# --- the embedded server ---------------------------------------------------------------------------
def test_without_a_url_libya_qa_starts_and_stops_an_embedded_server() -> None:
    home = Path(tempfile.mkdtemp(prefix="libya-qa-embedded-"))
    home.chmod(0o755)  # the server's own user must reach its folder
    try:
        env = {
            **os.environ,
            "LIBYA_QA_STORE": "postgres",
            "LIBYA_QA_DATABASE_URL": "",
            "LIBYA_QA_MODEL": "hashing-test-encoder",
            "LIBYA_QA_CORPUS": str(ROOT / "corpus"),
            "LIBYA_QA_INDEX": str(home / "index"),
            "PYTHONPATH": str(ROOT / "src"),
        }
        for command in (["index"], ["ask", "Who backed Haftar?", "--json"]):
            done = subprocess.run(
                [sys.executable, "-m", "libya_qa.cli", *command], env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, done.stderr[-2000:]
        assert '"orton-islamic-state-libya-2015"' in done.stdout
        server = EmbeddedPostgres(home / ".pgdata")
        assert server.initialised() and not server.running()  # stopped by the process that started it
        data = server.data.stat()
        assert data.st_mode & 0o777 == 0o700 and (os.geteuid() != 0 or data.st_uid != 0)
    finally:
        EmbeddedPostgres(home / ".pgdata").stop()
        shutil.rmtree(home, ignore_errors=True)


def synthetic_version(settings: Settings, articles: int, per_article: int, dimension: int = 64) -> None:
    """Write a version of random unit vectors (one sentence per passage) straight into the store."""
    from libya_qa.tables import Embedded, passage_rows, sentence_rows

    rng = np.random.default_rng(7)
    rows = [(a, 0, 4) for a in range(articles) for _ in range(per_article)]
    vectors = rng.normal(size=(len(rows), dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    fresh = Embedded(
        sentence_rows(rows),
        passage_rows([(a, s, e, i, i) for i, (a, s, e) in enumerate(rows)]),
        vectors.astype(np.float16),
        [["word"]] * len(rows),
    )
    listed = [Article(Source(f"a{a:04d}", date=f"{2000 + a % 20}"), "text") for a in range(articles)]
    manifest = {
        "format": 3,
        "version": "20000101T000000000000Z",
        "model": settings.model,
        "dimension": dimension,
        "chunking": {},
    }
    open_store(settings).write_version(listed, fresh, None, manifest, {})


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_a_selective_filter_on_the_hnsw_graph_still_returns_k_rows(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's trap: HNSW walked with a 1% filter returned 0.4 rows instead of 10, silently."""
    from libya_qa import pgsnapshot

    synthetic_version(store_settings, articles=400, per_article=10)
    snapshot = open_store(store_settings).load()
    explain = "EXPLAIN " + pgsnapshot.NEAREST.replace("%(vector)s", "%(v)s::halfvec")
    plan = snapshot._rows(explain, {"v": str([0.125] * 64), "ranges": snapshot.passage_ranges, "k": 10})
    assert "passages_embedding" in "\n".join(r[0] for r in plan)  # the graph, not an exact scan
    kept = Filters(sources=tuple(f"a{a:04d}" for a in range(0, 400, 100)))  # 4 articles: 1% of the passages
    vector = np.asarray(np.random.default_rng(1).normal(size=64), dtype=np.float32)
    vector /= np.linalg.norm(vector)
    exact = snapshot.dense(vector, 10, snapshot.select(kept))
    monkeypatch.setattr(pgsnapshot, "EXACT_FILTER_MAX", 0)  # the same filter, walked on the graph
    walked = snapshot.dense(vector, 10, snapshot.select(kept))
    assert len(walked.passages) == 10 and set(walked.passages) == set(exact.passages)
