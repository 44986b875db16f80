"""The index folder describes itself, refuses a mismatched model, detects damage, rebuilds incrementally."""

from __future__ import annotations

import json

import pytest
from support import TINY, load_snapshot

from libya_qa.absence import absence
from libya_qa.build import build_index
from libya_qa.confidence import probability, signals
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.errors import IndexUnavailable
from libya_qa.index import VERSIONS, current_version
from libya_qa.qa import QA
from libya_qa.schema import Article, Source
from libya_qa.search import Query


def test_manifest_records_model_dimension_chunking_hashes_and_checksums(tiny_settings) -> None:
    data = load_snapshot(tiny_settings.index_dir)
    m = data.manifest
    assert (m["model"], m["dimension"]) == ("hashing-test-encoder", 64)
    assert m["chunking"]["passage_words"] == tiny_settings.passage_words
    assert m["articles"]["alpha"]["sha256"] == TINY[0].sha256
    assert m["package_version"] and m["created"] and "passages.faiss" in m["files"]


def test_index_built_with_another_model_refuses_to_load(tiny_settings) -> None:
    with pytest.raises(IndexUnavailable, match="rebuild") as caught:
        QA(tiny_settings, HashingEncoder(dimension=32, name="other-model"))
    assert caught.value.code == "index_model_mismatch"


def test_missing_index_says_how_to_build(tmp_path) -> None:
    with pytest.raises(IndexUnavailable, match="libya-qa index"):
        load_snapshot(tmp_path / "nothing")


def test_damaged_file_is_detected_by_checksum(tiny_settings) -> None:
    folder = tiny_settings.index_dir / VERSIONS / current_version(tiny_settings.index_dir)
    vectors = folder / "sentence_vectors.npy"
    damaged = bytearray(vectors.read_bytes())
    damaged[-8:] = bytes(b ^ 0xFF for b in damaged[-8:])
    vectors.write_bytes(bytes(damaged))
    with pytest.raises(IndexUnavailable, match="damaged") as caught:
        load_snapshot(tiny_settings.index_dir)
    assert caught.value.code == "index_corrupt"


def test_incremental_build_embeds_only_new_and_changed_articles(tiny_settings) -> None:
    counting = CountingEncoder()
    write_article(tiny_settings.corpus_dir, Article(Source("gamma", "Gamma"), "A new article. It has two sentences."))
    changed = Article(TINY[1].source, TINY[1].body + " One more sentence.")
    write_article(tiny_settings.corpus_dir, changed)
    (tiny_settings.corpus_dir / "alpha.md").unlink()
    report = build_index(tiny_settings, counting, load_corpus(tiny_settings.corpus_dir))
    assert report.added == ("gamma",) and report.updated == ("beta",) and report.removed == ("alpha",)
    assert counting.seen == report.encoded_sentences == 2 + 4
    data = load_snapshot(tiny_settings.index_dir)
    assert [a.id for a in data.articles] == ["beta", "gamma"]
    again = build_index(tiny_settings, counting, load_corpus(tiny_settings.corpus_dir))
    assert again.encoded_sentences == 0 and again.unchanged == 2
    full = build_index(tiny_settings, counting, load_corpus(tiny_settings.corpus_dir), full=True)
    assert full.encoded_sentences == report.sentences


def test_an_index_whose_terms_were_read_by_another_analyser_is_rebuilt_whole(tiny_settings, monkeypatch) -> None:
    # stored passage terms are reused with the vectors; after tokenize() changes they would be stale
    import libya_qa.build as build

    counting = CountingEncoder()
    again = build_index(tiny_settings, counting, load_corpus(tiny_settings.corpus_dir))
    assert again.encoded_sentences == 0
    monkeypatch.setattr(build, "ANALYSIS", build.ANALYSIS + "-next")
    redone = build_index(tiny_settings, counting, load_corpus(tiny_settings.corpus_dir))
    assert redone.encoded_sentences == redone.sentences > 0
    assert load_snapshot(tiny_settings.index_dir).manifest["chunking"]["analysis"] == build.ANALYSIS
    # the report says why, and the articles were already indexed: updated, not added
    assert redone.notes == (build.REDONE,) and redone.added == () and set(redone.updated) == {"alpha", "beta"}


def test_a_rebuild_over_a_damaged_index_says_it_was_damaged_not_another_model(tiny_settings) -> None:
    import libya_qa.build as build
    from libya_qa.index import VERSIONS, current_version

    version = current_version(tiny_settings.index_dir)
    (tiny_settings.index_dir / VERSIONS / str(version) / "passages.npy").write_bytes(b"damaged")
    redone = build_index(tiny_settings, CountingEncoder(), load_corpus(tiny_settings.corpus_dir))
    assert redone.notes == (build.DAMAGED.format(code="index_corrupt"),) and redone.encoded_sentences > 0


def test_a_full_rebuild_reports_the_articles_it_removed(tiny_settings) -> None:
    (tiny_settings.corpus_dir / "alpha.md").unlink()
    full = build_index(tiny_settings, CountingEncoder(), load_corpus(tiny_settings.corpus_dir), full=True)
    assert full.removed == ("alpha",) and full.updated == ("beta",) and full.added == () and full.notes == ()


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting what it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def encode(self, texts, batch_size=64, progress=False):  # type: ignore[no-untyped-def]
        self.seen += len(texts)
        return super().encode(texts)


def test_stored_bodies_are_what_quotes_come_from(tiny_qa) -> None:
    answer = tiny_qa.ask("Who backed Haftar?")
    stored = {a.id: a.body for a in tiny_qa.loaded.snapshot.articles}
    assert answer.excerpts and all(stored[e.source.id][e.start : e.end] == e.quote for e in answer.excerpts)
    manifest = json.loads((tiny_qa.settings.index_dir / VERSIONS / answer.index_version / "manifest.json").read_text())
    assert manifest["version"] == answer.index_version


def test_incremental_and_full_builds_search_alike(tiny_settings) -> None:
    """Reused token ids and vectors give the same BM25 scores and passage vectors as a fresh build."""
    write_article(tiny_settings.corpus_dir, Article(Source("gamma", "Gamma"), "It is. Egypt backed Haftar in 2014."))
    write_article(tiny_settings.corpus_dir, Article(Source("delta", "Delta"), "The."))  # no keyword at all
    build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir))
    incremental = load_snapshot(tiny_settings.index_dir)
    build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir), full=True)
    full = load_snapshot(tiny_settings.index_dir)

    def by_text(data, values):  # type: ignore[no-untyped-def]
        return {data.passage_text(i): round(float(v), 5) for i, v in enumerate(values)}

    for terms in (["egypt", "haftar"], ["qatar"], ["mali", "weapon"]):
        assert by_text(incremental, incremental.bm25.get_scores(terms)) == by_text(full, full.bm25.get_scores(terms))
    vectors_inc = by_text(
        incremental, incremental.dense_index.index.reconstruct_n(0, incremental.dense_index.ntotal)[:, 0]
    )
    vectors_full = by_text(full, full.dense_index.index.reconstruct_n(0, full.dense_index.ntotal)[:, 0])
    assert vectors_inc == vectors_full


def test_adding_only_appends_to_the_dense_index(tiny_settings) -> None:
    """With nothing removed or changed, the previous passages keep their rows and vectors."""
    before = load_snapshot(tiny_settings.index_dir)
    write_article(tiny_settings.corpus_dir, Article(Source("gamma", "Gamma"), "Egypt backed Haftar in 2014."))
    build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir))
    after = load_snapshot(tiny_settings.index_dir)
    n = before.dense_index.ntotal
    assert after.dense_index.ntotal > n
    assert (after.dense_index.index.reconstruct_n(0, n) == before.dense_index.index.reconstruct_n(0, n)).all()
    assert [after.passage_text(i) for i in range(n)] == [before.passage_text(i) for i in range(n)]


def test_article_signals_follow_articles_when_a_new_one_is_appended(tiny_settings) -> None:
    """Article BM25 and lead vectors are per article row, even when that article's passages come last."""
    import bm25s
    import numpy as np

    from libya_qa.analysis import tokenize

    # "aardvark" sorts first, so it takes article row 0 while its passages are appended after the others'.
    write_article(
        tiny_settings.corpus_dir,
        Article(Source("aardvark", "A"), "Egypt backed Haftar in 2014. Qatar backed his rivals."),
    )
    build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir))
    data = load_snapshot(tiny_settings.index_dir)
    assert [a.id for a in data.articles][0] == "aardvark" and data.tables.passages["article"][-1] == 0
    per_article = [
        [t for p in np.flatnonzero(data.tables.passages["article"] == row) for t in tokenize(data.passage_text(p))]
        for row in range(len(data.articles))
    ]
    reference = bm25s.BM25()
    reference.index(per_article, show_progress=False)
    for terms in (["haftar", "egypt"], ["qatar"], ["weather", "tripoli"], ["nosuchword"]):
        assert np.allclose(data.signals.bm25.get_scores(terms), reference.get_scores(terms), atol=1e-6)
    for row in range(len(data.articles)):
        first = min(
            np.flatnonzero(data.tables.passages["article"] == row), key=lambda p: data.tables.passages["start"][p]
        )
        lo, hi = data.tables.passages[["first", "last"]][first]
        mean = data.tables.vectors[lo : hi + 1].astype(np.float32).mean(axis=0)
        assert np.allclose(data.signals.lead_vectors[row], mean / np.linalg.norm(mean), atol=1e-6)
        indptr, holders = data.signals.lead_ptr, data.signals.lead_holders
        lead_stems = set(tokenize(data.passage_text(first)))
        for stem, token in data.bm25.vocab_dict.items():
            if stem and token + 1 < len(indptr):
                assert (row in holders[indptr[token] : indptr[token + 1]]) == (stem in lead_stems), stem


def test_article_evidence_reaches_every_sentence_hit(tiny_qa) -> None:
    """Each sentence carries its article's keyword score (1.0 for the best article), lead cosine and lead coverage."""
    hits = tiny_qa.loaded.searcher.search(Query("Qatar Libya Dawn")).hits
    beta = tiny_qa.loaded.snapshot.article_rows["beta"]
    assert all(h.article_keywords == 1.0 for h in hits if h.article == beta)
    assert all(h.article_keywords < 1.0 for h in hits if h.article != beta)
    assert len({round(h.article_lead, 6) for h in hits if h.article == beta}) == 1
    # beta's first passage holds every question word; alpha's holds none of "qatar", "dawn".
    assert all(h.lead_coverage == pytest.approx(1.0) for h in hits if h.article == beta)
    assert all(h.lead_coverage < 0.5 for h in hits if h.article != beta)


def test_topics_rank_by_article_evidence_but_keep_the_question_scale(tiny_qa) -> None:
    """A topic is ordered by the topic weights; every hit's confidence stays the question-weight score."""
    searcher = tiny_qa.loaded.searcher
    as_question = searcher.search(Query("Qatar Libya Dawn"), topic=False).hits
    as_topic = searcher.search(Query("Qatar Libya Dawn"), topic=True).hits
    assert as_question and all(h.score == h.confidence for h in as_question)
    confidence = {h.sentence: h.confidence for h in as_question}
    extra = (
        searcher.topic_weights.article_keywords - searcher.weights.article_keywords,
        searcher.topic_weights.article_lead - searcher.weights.article_lead,
        searcher.topic_weights.lead_coverage - searcher.weights.lead_coverage,
    )
    assert min(extra) > 0
    for h in as_topic:
        assert h.confidence == pytest.approx(confidence[h.sentence])
        assert h.score == pytest.approx(
            h.confidence + extra[0] * h.article_keywords + extra[1] * h.article_lead + extra[2] * h.lead_coverage
        )
    assert [h.score for h in as_topic] == sorted((h.score for h in as_topic), reverse=True)
    answer = tiny_qa.ask("Qatar Libya Dawn")  # not a question: ranked as a topic
    loaded = tiny_qa.loaded  # its confidence is the calibrated probability of the question-scale evidence
    expected = probability(
        signals(as_question, absence("Qatar Libya Dawn", loaded.snapshot, loaded.span, loaded.bylines))
    )
    assert answer.confidence == pytest.approx(expected) and 0.0 < answer.confidence < 1.0
    assert answer.to_dict()["confidence"] == round(answer.confidence, 4)
    assert (answer.status == "answered") == (answer.confidence >= tiny_qa.settings.answer_threshold)


def _one_passage_articles(n: int) -> list[Article]:
    """n short articles on distinct topics, one passage each."""
    topics = [
        "oil exports from Ras Lanuf",
        "the U.N. mission in Tripoli",
        "weapons smuggled into Mali",
        "Haftar and the Libyan National Army",
        "Qatar and Libya Dawn",
        "the Islamic State in Sirte",
        "the NATO air campaign of 2011",
        "migrants crossing to Italy",
    ]
    return [
        Article(Source(f"art-{i}", f"Article {i}"), f"This article is about {topics[i]}. It has two sentences.")
        for i in range(n)
    ]


def test_removal_masks_passages_in_an_hnsw_graph_until_it_is_worth_rebuilding(tmp_path) -> None:
    """Removing an article keeps the HNSW graph (removed vectors masked); past 20% masked, it is rebuilt."""
    from support import make_settings

    settings = make_settings(tmp_path, model="hashing-test-encoder", index_type="hnsw")
    articles = _one_passage_articles(8)
    build_index(settings, HashingEncoder(), articles)
    before = load_snapshot(settings.index_dir)
    build_index(settings, HashingEncoder(), [a for a in articles if a.id != "art-3"])
    masked = load_snapshot(settings.index_dir)
    assert masked.dense_index.ntotal == before.dense_index.ntotal  # the graph was kept, not rebuilt
    assert masked.dense_index.rows is not None and (masked.dense_index.rows < 0).sum() == 1
    every = masked.dense_index.search(HashingEncoder().encode(["Haftar oil Mali"]), len(masked.tables.passages))[1][0]
    assert sorted(int(r) for r in every) == list(range(len(masked.tables.passages)))  # live rows only, once each
    texts = [masked.passage_text(int(r)) for r in every]
    assert not any("Haftar" in t for t in texts)
    # Adding keeps the mask and appends; the new passage is found.
    build_index(
        settings,
        HashingEncoder(),
        [a for a in articles if a.id != "art-3"]
        + [Article(Source("art-9", "Nine"), "Egypt backed Haftar in 2014. Egypt also bombed Derna.")],
    )
    grown = load_snapshot(settings.index_dir)
    assert grown.dense_index.ntotal == before.dense_index.ntotal + 1 and (grown.dense_index.rows < 0).sum() == 1
    top = grown.dense_index.search(
        HashingEncoder().encode(["Egypt backed Haftar in 2014. Egypt also bombed Derna."]), 1
    )[1]
    assert "Derna" in grown.passage_text(int(top[0, 0]))
    # Two more removals: 3 of 9 vectors masked (> 20%), so the graph is rebuilt without them.
    build_index(settings, HashingEncoder(), [a for a in articles if a.id not in ("art-3", "art-4", "art-5")])
    rebuilt = load_snapshot(settings.index_dir)
    assert rebuilt.dense_index.rows is None and rebuilt.dense_index.ntotal == len(rebuilt.tables.passages) == 5


@pytest.mark.parametrize(("share", "masked"), [(0.0, False), (0.1, False), (0.2, True), (1.0, True)])
def test_the_masked_share_setting_decides_when_the_graph_is_rebuilt(tmp_path, share, masked) -> None:
    """One removal masks 1 of 8 vectors (12.5%): kept masked at a limit above that, rebuilt below it."""
    from support import make_settings

    settings = make_settings(tmp_path, model="hashing-test-encoder", index_type="hnsw", masked_max_share=share)
    articles = _one_passage_articles(8)
    build_index(settings, HashingEncoder(), articles)
    build_index(settings, HashingEncoder(), articles[1:])
    data = load_snapshot(settings.index_dir)
    assert (data.dense_index.rows is not None) is masked
    assert data.dense_index.ntotal == (8 if masked else 7) and len(data.tables.passages) == 7


def test_masked_index_searches_like_a_full_rebuild(tmp_path) -> None:
    """The masked graph returns passages as similar, in the same order, as a graph built afresh."""
    import numpy as np
    from support import make_settings

    def similarities(data, vector, k: int) -> list[float]:  # of the returned passages, computed exactly
        rows = data.dense_index.search(vector, k)[1][0]
        dense = data.dense_index
        return [
            float(dense.index.reconstruct(int(i)) @ vector[0])
            for i in (np.flatnonzero(dense.rows == r)[0] if dense.rows is not None else r for r in rows)
        ]

    settings = make_settings(tmp_path, model="hashing-test-encoder", index_type="hnsw")
    articles = _one_passage_articles(8)
    build_index(settings, HashingEncoder(), articles)
    build_index(settings, HashingEncoder(), articles[:2] + articles[3:])
    masked = load_snapshot(settings.index_dir)
    build_index(settings, HashingEncoder(), articles[:2] + articles[3:], full=True)
    fresh = load_snapshot(settings.index_dir)
    assert masked.dense_index.rows is not None and fresh.dense_index.rows is None
    for query in ("oil exports", "Islamic State Sirte", "NATO air campaign", "migrants Italy"):
        vector = HashingEncoder().encode([query])
        assert np.allclose(similarities(masked, vector, 4), similarities(fresh, vector, 4), atol=1e-6)


def test_inconsistent_dense_rows_are_refused(tmp_path) -> None:
    """A row map that does not give every passage exactly one live vector is corruption."""
    import numpy as np
    from support import make_settings

    from libya_qa.dense import ROWS_FILE as DENSE_ROWS

    settings = make_settings(tmp_path, model="hashing-test-encoder", index_type="hnsw")
    articles = _one_passage_articles(8)
    build_index(settings, HashingEncoder(), articles)
    build_index(settings, HashingEncoder(), articles[1:])
    folder = settings.index_dir / VERSIONS / current_version(settings.index_dir)
    rows = np.load(folder / DENSE_ROWS)
    rows[rows >= 0] = 0  # every vector claims passage 0
    np.save(folder / DENSE_ROWS, rows)
    with pytest.raises(IndexUnavailable) as caught:
        load_snapshot(settings.index_dir, verify=False)  # past the checksums, to reach the table check
    assert caught.value.code == "index_corrupt"


def test_an_incremental_build_follows_the_configured_index_type(tmp_path, monkeypatch) -> None:
    """'auto' switches to HNSW when additions cross the exact-search limit; a changed setting applies."""
    from support import make_settings

    from libya_qa import dense

    monkeypatch.setattr(dense, "FLAT_MAX_PASSAGES", 8)
    settings = make_settings(tmp_path, model="hashing-test-encoder")  # index type "auto"
    articles = _one_passage_articles(8)
    build_index(settings, HashingEncoder(), articles[:7])
    assert load_snapshot(settings.index_dir).dense_index.kind == "flat"
    build_index(settings, HashingEncoder(), articles[:8])
    assert load_snapshot(settings.index_dir).dense_index.kind == "flat"  # 8 passages: still exact
    extra = Article(Source("art-9", "Nine"), "Egypt backed Haftar in 2014. Egypt also bombed Derna.")
    build_index(settings, HashingEncoder(), articles + [extra])
    assert load_snapshot(settings.index_dir).dense_index.kind == "hnsw"
    flat = make_settings(tmp_path, model="hashing-test-encoder", index_type="flat")
    build_index(flat, HashingEncoder(), articles + [extra])
    assert load_snapshot(flat.index_dir).dense_index.kind == "flat"


def test_index_files_are_readable_by_a_server_running_as_another_user(tiny_settings) -> None:
    root = tiny_settings.index_dir
    version_folder = root / VERSIONS / str(current_version(root))
    assert (root / "CURRENT").stat().st_mode & 0o777 == 0o644
    assert version_folder.stat().st_mode & 0o777 == 0o755
    for path in version_folder.rglob("*"):
        assert path.stat().st_mode & 0o777 == (0o755 if path.is_dir() else 0o644), path


def test_a_damaged_current_pointer_never_raises_while_reading_it(tiny_settings) -> None:
    (tiny_settings.index_dir / "CURRENT").write_bytes(b"\xff\xfe../../etc\n")
    name = current_version(tiny_settings.index_dir)
    assert name == "\ufffd\ufffd../../etc"
    with pytest.raises(IndexUnavailable, match="names no index version") as info:
        load_snapshot(tiny_settings.index_dir, name)
    assert info.value.code == "index_corrupt" and "libya-qa index --full" in info.value.message


def test_bodies_with_unicode_line_separators_survive_the_index(tmp_path) -> None:
    """U+2028, U+0085 and friends stay raw in articles.jsonl; reading must split at "\\n" only (found by hypothesis)."""
    from support import make_settings

    from libya_qa.schema import Article, Source

    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    body = "Haftar was backed by Egypt.\u2028Qatar\u0085backed\x1cDawn.\u2029The end\x0b\x0c."
    build_index(settings, HashingEncoder(), [Article(Source("seps"), body)])
    assert load_snapshot(settings.index_dir).articles[0].body == body


def test_slices_embedded_in_length_order_come_back_in_the_texts_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # a build embeds in slices (to report progress), cut from the texts sorted by length: each vector must
    # still land on its own text
    from libya_qa import build

    monkeypatch.setattr(build, "EMBED_SLICE", 3)
    texts = [f"{'word ' * (n % 5)}text {n} about {'Tripoli' if n % 2 else 'Benghazi'}" for n in range(10)]
    encoder, shares = HashingEncoder(), []
    sliced = build._encode(encoder, texts, False, shares.append)
    assert (sliced == encoder.encode(texts)).all()
    assert shares == [0.3, 0.6, 0.9, 1.0]
