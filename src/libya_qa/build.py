"""Build an index version from the corpus, re-embedding only new or changed articles."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from . import __version__
from .analysis import tokenize_many
from .chunking import make_passages, split_sentences
from .config import Settings
from .encoders import Encoder
from .errors import IndexUnavailable
from .index import FORMAT, IndexData, load_version, prune_versions, save_version, set_current
from .schema import Article

SPLITTER = "regex-v2"  # bump when chunking changes so old vectors are not reused


@dataclass
class ArticleTables:
    """One article's sentences (start, end), passages (start, end, first, last: local) and vectors."""

    sentences: np.ndarray
    passages: np.ndarray
    vectors: np.ndarray


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the CLI summary and the HTTP status."""

    version: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    articles: int
    passages: int
    sentences: int
    encoded_sentences: int
    encode_seconds: float
    seconds: float
    full: bool
    index_type: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def chunk_settings(settings: Settings) -> dict[str, Any]:
    """The settings that decide passages; vectors are reused only when these match."""
    return {"splitter": SPLITTER, "passage_words": settings.passage_words,
            "overlap_sentences": settings.passage_overlap_sentences}


def _reusable(settings: Settings, encoder: Encoder) -> IndexData | None:
    """The current index if its vectors can be reused by this build, else None."""
    try:
        data = load_version(settings.index_dir)
    except IndexUnavailable:
        return None
    manifest = data.manifest
    same = (manifest.get("format") == FORMAT and manifest.get("model") == encoder.name
            and manifest.get("dimension") == encoder.dimension
            and manifest.get("chunking") == chunk_settings(settings))
    return data if same else None


def _tables_from(data: IndexData, row: int) -> ArticleTables:
    """Cut one article's rows out of a loaded index."""
    s_rows = np.flatnonzero(data.sentences[:, 0] == row)
    p_rows = np.flatnonzero(data.passages[:, 0] == row)
    offset = s_rows[0] if len(s_rows) else 0
    passages = data.passages[p_rows, 1:].copy()
    passages[:, 2:] -= offset  # global sentence numbers -> local
    return ArticleTables(data.sentences[s_rows, 1:].copy(), passages,
                         data.sentence_vectors[s_rows].astype(np.float32))


def _chunk(article: Article, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Sentence and passage tables of one article (vectors come later, in one batch)."""
    sentences = split_sentences(article.id, article.body)
    passages = make_passages(article.id, article.body, sentences,
                             settings.passage_words, settings.passage_overlap_sentences)
    return (np.array([(s.start, s.end) for s in sentences], dtype=np.int32).reshape(-1, 2),
            np.array([(p.start, p.end, p.first_sentence, p.last_sentence) for p in passages],
                     dtype=np.int32).reshape(-1, 4))


def _passage_vectors(tables: list[ArticleTables]) -> np.ndarray:
    """Each passage's vector: the normalised mean of its sentences' vectors (no second encoding)."""
    rows = []
    for t in tables:
        for _, _, first, last in t.passages:
            rows.append(t.vectors[first:last + 1].mean(axis=0))
    matrix = np.asarray(rows, dtype=np.float32).reshape(-1, tables[0].vectors.shape[1] if tables else 0)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


# Exact search up to this many passages: one flat scan of 200,000 x 384 floats stays near 10 ms on
# two cores (bench/index_types.py); beyond it "auto" switches to HNSW.
FLAT_MAX_PASSAGES = 200_000
INDEX_TYPES = ("auto", "flat", "hnsw", "hnsw-sq8", "ivf-sq8")
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128


def choose_index_type(index_type: str, n: int) -> str:
    """The concrete index type for `n` passages ("auto": flat while small, HNSW beyond)."""
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r} ({', '.join(INDEX_TYPES)})")
    if index_type != "auto":
        return index_type
    return "flat" if n <= FLAT_MAX_PASSAGES else "hnsw"


def make_dense_index(vectors: np.ndarray, index_type: str) -> tuple[Any, str]:
    """A FAISS inner-product index over unit vectors, and the concrete type chosen.

    flat: exact. hnsw: graph over full vectors (~1.8 KB a passage at 384-d). hnsw-sq8: the same
    graph over 8-bit scalar-quantised vectors (~0.7 KB a passage). ivf-sq8: inverted lists over
    8-bit codes (~0.4 KB a passage; needs training, so only for large sets). Search-time
    parameters (efSearch, nprobe) are stored in the index file.
    """
    import faiss

    n, dim = vectors.shape
    kind = choose_index_type(index_type, n)
    if kind == "ivf-sq8" and n < 10_000:
        kind = "flat"  # too few vectors to train a coarse quantiser; exact is fast at this size anyway
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind in ("hnsw", "hnsw-sq8"):
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:  # ivf-sq8
        nlist = int(max(64, min(65_536, 2 * np.sqrt(n))))
        index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        train = min(n, 64 * nlist)
        sample = vectors if train == n else vectors[np.random.default_rng(0).choice(n, train, replace=False)]
        index.train(sample)
        faiss.extract_index_ivf(index).nprobe = max(16, nlist // 16)
    index.add(vectors)
    return index, kind


def build_index(settings: Settings, encoder: Encoder, articles: list[Article],
                full: bool = False, progress: bool = False) -> BuildReport:
    """Build a new version beside the current one and make it current only when complete."""
    import bm25s

    started = time.perf_counter()
    previous = None if full else _reusable(settings, encoder)
    old = {a.id: (i, a.sha256) for i, a in enumerate(previous.articles)} if previous else {}
    tables: list[ArticleTables | None] = []
    to_encode: list[tuple[int, Article]] = []
    for position, article in enumerate(articles):
        row, sha = old.get(article.id, (None, None))
        if previous is not None and row is not None and sha == article.sha256:
            tables.append(_tables_from(previous, row))
        else:
            tables.append(None)
            to_encode.append((position, article))
    encode_started = time.perf_counter()
    texts, spans = [], []
    for position, article in to_encode:
        sentences, passages = _chunk(article, settings)
        spans.append((position, sentences, passages, len(texts)))
        texts.extend(article.body[s:e] for s, e in sentences)
    vectors = encoder.encode(texts, progress=progress)
    for position, sentences, passages, first in spans:
        tables[position] = ArticleTables(sentences, passages, vectors[first:first + len(sentences)])
    encode_seconds = time.perf_counter() - encode_started
    final = [t for t in tables if t is not None]
    return _write(settings, encoder, articles, final, old, to_encode, full, progress,
                  started, encode_seconds, len(texts), bm25s)


def _write(settings: Settings, encoder: Encoder, articles: list[Article], tables: list[ArticleTables],
           old: dict[str, tuple[int, str]], encoded: list[tuple[int, Article]], full: bool,
           progress: bool, started: float, encode_seconds: float, n_encoded: int, bm25s: Any) -> BuildReport:
    """Assemble global tables, searchers and manifest; save and switch atomically."""
    sentence_rows, passage_rows, offset = [], [], 0
    for row, t in enumerate(tables):
        sentence_rows.append(np.column_stack([np.full(len(t.sentences), row), t.sentences]))
        p = t.passages.copy()
        p[:, 2:] += offset
        passage_rows.append(np.column_stack([np.full(len(p), row), p]))
        offset += len(t.sentences)
    sentences = np.vstack(sentence_rows).astype(np.int32) if tables else np.zeros((0, 3), np.int32)
    passages = np.vstack(passage_rows).astype(np.int32) if tables else np.zeros((0, 5), np.int32)
    if not len(passages):
        raise IndexUnavailable("corpus_empty", "the corpus has no article to index; add one with `libya-qa add`")
    sentence_vectors = np.vstack([t.vectors for t in tables]).astype(np.float32)
    dense, kind = make_dense_index(_passage_vectors(tables), settings.index_type)
    texts = [articles[a].body[s:e] for a, s, e in passages[:, :3]]
    bm25 = bm25s.BM25()
    bm25.index(tokenize_many(texts), show_progress=progress)
    version = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    manifest = {
        "format": FORMAT, "package_version": __version__, "created": datetime.now(timezone.utc).isoformat(),
        "model": encoder.name, "dimension": encoder.dimension, "chunking": chunk_settings(settings),
        "index_type": kind, "counts": {"articles": len(articles), "passages": len(passages),
                                       "sentences": len(sentences)},
        "articles": {a.id: {"sha256": a.sha256, "passages": int((passages[:, 0] == i).sum())}
                     for i, a in enumerate(articles)},
    }
    save_version(settings.index_dir, version, manifest, articles, sentences, passages,
                 sentence_vectors, dense, bm25)
    set_current(settings.index_dir, version)
    prune_versions(settings.index_dir, settings.keep_versions)
    new_ids = {a.id for a in articles}
    encoded_ids = [a.id for _, a in encoded]
    return BuildReport(
        version=version, added=tuple(i for i in encoded_ids if i not in old),
        updated=tuple(i for i in encoded_ids if i in old), removed=tuple(sorted(set(old) - new_ids)),
        unchanged=len(articles) - len(encoded), articles=len(articles), passages=len(passages),
        sentences=len(sentences), encoded_sentences=n_encoded, encode_seconds=encode_seconds,
        seconds=time.perf_counter() - started, full=full, index_type=kind,
    )
