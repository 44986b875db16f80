"""Filters in the file store: applied before ranking on an HNSW graph, exactly or through FAISS ID selectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import load_snapshot, make_settings

from libya_qa import filestore
from libya_qa.build import build_index
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.schema import Article, Filters, Source

ARTICLES = [
    Article(
        Source(
            f"art-{i}",
            f"Article {i}",
            f"Author {i % 3}",
            f"Pub {i % 2}",
            "unknown" if i % 5 == 0 else f"{2011 + i}-0{1 + i % 9}-15",
        ),
        " ".join(f"Sentence {j} of article {i} names Misrata and the oil port number {i * j}." for j in range(12)),
    )
    for i in range(10)
]


@pytest.fixture()
def hnsw(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Ten articles in an HNSW index (the graph kind filters must not thin), with the hashing encoder."""
    settings = make_settings(tmp_path, model="hashing-test-encoder", index_type="hnsw", masked_max_share=1.0)
    for article in ARTICLES:
        write_article(settings.corpus_dir, article)
    build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
    return settings


def query_vector() -> np.ndarray:
    """A question's unit vector."""
    return HashingEncoder().encode(["Which oil port did Misrata name?"])[0]


def test_a_one_article_filter_returns_that_articles_passages_from_the_graph(hnsw) -> None:  # type: ignore[no-untyped-def]
    snapshot = load_snapshot(hnsw.index_dir)
    selection = snapshot.select(Filters(sources=("art-3",)))
    found = snapshot.dense(query_vector(), 5, selection)
    assert len(found.passages) == min(5, int(selection.handle.sum())) > 0
    assert set(snapshot.tables.passages["article"][found.passages]) == {int(selection.keys[0])}


def test_the_exact_scan_reads_the_graphs_stored_vectors_even_after_a_removal(hnsw) -> None:  # type: ignore[no-untyped-def]
    (hnsw.corpus_dir / "art-4.md").unlink()
    build_index(hnsw, HashingEncoder(), load_corpus(hnsw.corpus_dir))  # art-4 stays in the graph, masked
    snapshot = load_snapshot(hnsw.index_dir)
    assert snapshot.dense_index.rows is not None and (snapshot.dense_index.rows < 0).any()
    rows = np.arange(len(snapshot.tables.passages))
    stored = snapshot.dense_index.stored_vectors(rows)
    assert stored is not None
    assert np.allclose(stored, snapshot.tables.passage_vectors(rows), atol=1e-6)


def test_a_broad_filter_goes_through_a_faiss_id_selector_without_thinning(hnsw, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(filestore, "EXACT_FILTER_MAX", 0)  # force the graph walk with a selector
    snapshot = load_snapshot(hnsw.index_dir)
    selection = snapshot.select(Filters(publishers=("pub 1",)))
    found = snapshot.dense(query_vector(), 8, selection)
    assert len(found.passages) == 8 and selection.handle[found.passages].all()
    exact = np.flatnonzero(selection.handle)
    scores = snapshot.tables.passage_vectors(exact) @ query_vector()
    assert set(found.passages) == set(exact[np.argsort(-scores)[:8]])  # the same top 8 as an exact scan


def test_the_same_filters_are_selected_once_per_snapshot(hnsw) -> None:  # type: ignore[no-untyped-def]
    snapshot = load_snapshot(hnsw.index_dir)
    first = snapshot.select(Filters(date_from="2014", date_to="2016"))
    assert snapshot.select(Filters(date_from="2014", date_to="2016")) is first
    assert first.undated_left_out == 2 and len(first.keys) == 2  # art-3 (2014), art-4 (2015); art-0, art-5 undated
    for i in range(filestore.SELECTIONS_KEPT):
        snapshot.select(Filters(sources=(f"art-{i % 10}",), date_from=str(2000 + i)))
    assert snapshot.select(Filters(date_from="2014", date_to="2016")) is not first  # the oldest was let go
