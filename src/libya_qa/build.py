"""Build an index version from the corpus, re-embedding only new or changed articles."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from collections.abc import Callable
from typing import Any

import numpy as np

from . import __version__
from .analysis import tokenize_many
from .chunking import make_passages, split_sentences
from .config import INDEX_TYPES, Settings
from .encoders import Encoder
from .errors import IndexUnavailable
from .keywords import bm25_from_ids
from .index import FORMAT, IndexData, load_version, prune_versions, save_version, set_current
from .schema import Article

SPLITTER = "regex-v2"  # bump when chunking changes so old vectors are not reused


@dataclass
class Tables:
    """Row tables of a whole index: what a build assembles and a version stores beside its searchers.

    sentences: (article, start, end); passages: (article, start, end, first, last sentence row);
    vectors: one unit float16 row per sentence; tokens/offsets: each passage's BM25 token ids, flattened.
    Each article's rows are contiguous and in reading order; articles need not be in any order.
    """

    sentences: np.ndarray
    passages: np.ndarray
    vectors: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray


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


def _kept(previous: IndexData, old_to_new: np.ndarray) -> Tables:
    """The rows of unchanged articles, cut out of the previous version in one vectorised pass."""
    s_keep = old_to_new[previous.sentences[:, 0]] >= 0
    p_keep = np.flatnonzero(old_to_new[previous.passages[:, 0]] >= 0)
    new_row = np.cumsum(s_keep) - 1  # old sentence row -> row among the kept ones
    sentences = previous.sentences[s_keep].copy()
    sentences[:, 0] = old_to_new[sentences[:, 0]]
    passages = previous.passages[p_keep].copy()
    passages[:, 0] = old_to_new[passages[:, 0]]
    passages[:, 3:] = new_row[passages[:, 3:]]
    lengths = np.diff(previous.token_offsets)[p_keep]
    starts = previous.token_offsets[p_keep]
    gather = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) + np.arange(lengths.sum())
    return Tables(sentences, passages, previous.sentence_vectors[s_keep],
                  previous.passage_tokens[gather], np.concatenate(([0], np.cumsum(lengths))))


def _chunk(article: Article, row: int, first_sentence: int, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Sentence and passage rows of one article (vectors come later, in one batch)."""
    sentences = split_sentences(article.id, article.body)
    passages = make_passages(article.id, article.body, sentences,
                             settings.passage_words, settings.passage_overlap_sentences)
    s_rows = np.array([(row, s.start, s.end) for s in sentences], dtype=np.int32).reshape(-1, 3)
    p_rows = np.array([(row, p.start, p.end, first_sentence + p.first_sentence, first_sentence + p.last_sentence)
                       for p in passages], dtype=np.int32).reshape(-1, 5)
    return s_rows, p_rows


def _fresh(articles: list[tuple[int, Article]], settings: Settings, encoder: Encoder,
           vocab: dict[str, int], first_sentence: int, progress: bool) -> Tables:
    """Split, tokenise and embed new or changed articles (all sentences in one encoder call)."""
    chunks = []
    for row, article in articles:
        chunk = _chunk(article, row, first_sentence, settings)
        first_sentence += len(chunk[0])
        chunks.append(chunk)
    sentences = np.vstack([c[0] for c in chunks]) if chunks else np.zeros((0, 3), np.int32)
    passages = np.vstack([c[1] for c in chunks]) if chunks else np.zeros((0, 5), np.int32)
    bodies = {row: article.body for row, article in articles}
    vectors = encoder.encode([bodies[a][s:e] for a, s, e in sentences], progress=progress)
    token_lists = tokenize_many([bodies[a][s:e] for a, s, e in passages[:, :3]])
    tokens = np.array([vocab.setdefault(t, len(vocab)) for ts in token_lists for t in ts], dtype=np.int32)
    offsets = np.concatenate(([0], np.cumsum([len(ts) for ts in token_lists]))).astype(np.int64)
    # Kept as the stored float16 from here on: fresh and incremental builds give identical vectors, and
    # large tables are never converted back and forth.
    vectors = vectors.reshape(len(sentences), encoder.dimension).astype(np.float16)
    return Tables(sentences, passages, vectors, tokens, offsets)


def _join(a: Tables, b: Tables) -> Tables:
    """Two row tables as one (b's sentence rows follow a's)."""
    return Tables(np.vstack([a.sentences, b.sentences]), np.vstack([a.passages, b.passages]),
                  np.vstack([a.vectors, b.vectors]), np.concatenate([a.tokens, b.tokens]),
                  np.concatenate([a.offsets, b.offsets[1:] + a.offsets[-1]]))


def passage_vectors(tables: Tables, block: int = 20_000) -> np.ndarray:
    """Each passage's vector: the normalised mean of its sentences' vectors (no second encoding)."""
    out = np.zeros((len(tables.passages), tables.vectors.shape[1]), dtype=np.float32)
    for lo in range(0, len(tables.passages), block):  # blocks bound the temporary copy
        first, last = tables.passages[lo:lo + block, 3], tables.passages[lo:lo + block, 4]
        counts = last - first + 1
        members = np.repeat(first - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(counts.sum())
        out[lo:lo + block] = np.add.reduceat(tables.vectors[members].astype(np.float32),
                                             np.concatenate(([0], np.cumsum(counts)[:-1])))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


# Exact search up to this many passages: a flat scan is memory-bound, ~0.1 ms per 1,000 passages on
# one core (100,000 -> ~10 ms, bench/index_types.py); beyond it "auto" switches to HNSW
# (~0.2 ms, recall@10 ~0.99 against exact at 100,000).
FLAT_MAX_PASSAGES = 100_000
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128


def choose_index_type(index_type: str, n: int) -> str:
    """The concrete index type for `n` passages ("auto": flat while small, HNSW beyond)."""
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r} ({', '.join(INDEX_TYPES)})")
    if index_type != "auto":
        return index_type
    return "flat" if n <= FLAT_MAX_PASSAGES else "hnsw"


def dense_kind(index: Any) -> str:
    """The index type name of a FAISS index made by make_dense_index."""
    import faiss

    if isinstance(index, faiss.IndexFlat):
        return "flat"
    if isinstance(index, faiss.IndexHNSWSQ):
        return "hnsw-sq8"
    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    return "ivf-sq8"


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


def build_index(settings: Settings, encoder: Encoder, articles: list[Article], full: bool = False,
                progress: bool = False, on_stage: Callable[[str], None] | None = None) -> BuildReport:
    """Build a new version beside the current one and make it current only when complete."""
    stage = on_stage or (lambda _: None)
    started = time.perf_counter()
    stage("loading the current index to reuse its vectors" if not full else "starting a full rebuild")
    previous = None if full else _reusable(settings, encoder)
    old = {a.id: (i, a.sha256) for i, a in enumerate(previous.articles)} if previous else {}
    old_to_new = np.full(len(old), -1, dtype=np.int64)
    changed: list[tuple[int, Article]] = []
    for row, article in enumerate(articles):
        old_row, sha = old.get(article.id, (-1, ""))
        if sha == article.sha256:
            old_to_new[old_row] = row
        else:
            changed.append((row, article))
    vocab: dict[str, int] = dict(previous.bm25.vocab_dict) if previous else {}
    empty = Tables(np.zeros((0, 3), np.int32), np.zeros((0, 5), np.int32),
                   np.zeros((0, encoder.dimension), np.float16), np.zeros(0, np.int32), np.zeros(1, np.int64))
    kept = _kept(previous, old_to_new) if previous else empty
    encode_started = time.perf_counter()
    stage(f"embedding {len(changed)} new or changed articles ({len(kept.passages)} passages reused)")
    fresh = _fresh(changed, settings, encoder, vocab, len(kept.sentences), progress)
    encode_seconds = time.perf_counter() - encode_started
    tables = _join(kept, fresh)
    if not len(tables.passages):
        raise IndexUnavailable("corpus_empty", "the corpus has no article to index; add one with `libya-qa add`")
    reused = _reuse_dense(settings, previous, old_to_new, fresh, len(kept.sentences)) if previous else None
    stage(f"building the searchers and saving {len(tables.passages)} passages")
    version, kind = _write(settings, encoder, articles, tables, vocab, *(reused or (None, None)))
    encoded_ids = [a.id for _, a in changed]
    return BuildReport(
        version=version, added=tuple(i for i in encoded_ids if i not in old),
        updated=tuple(i for i in encoded_ids if i in old),
        removed=tuple(sorted(set(old) - {a.id for a in articles})),
        unchanged=len(articles) - len(changed), articles=len(articles), passages=len(tables.passages),
        sentences=len(tables.sentences), encoded_sentences=len(fresh.sentences),
        encode_seconds=encode_seconds, seconds=time.perf_counter() - started, full=full, index_type=kind,
    )


def _reuse_dense(settings: Settings, previous: IndexData, old_to_new: np.ndarray, fresh: Tables,
                 first_sentence: int) -> tuple[Any, np.ndarray | None] | None:
    """The previous dense index carried forward, or None when it must be rebuilt.

    Kept passages keep their vectors; new ones are appended. Removed ones stay in an HNSW graph,
    masked at search time through `dense_rows`, because rebuilding the graph takes ~15 s at 100,000
    passages; once masked vectors pass `settings.masked_max_share`, the graph is rebuilt without them.
    """
    kept_rows = np.flatnonzero(old_to_new[previous.passages[:, 0]] >= 0)
    n_passages = len(kept_rows) + len(fresh.passages)
    kind = dense_kind(previous.dense)
    if choose_index_type(settings.index_type, n_passages) != kind:
        return None  # the configured type changed, or the corpus crossed the exact-search limit
    removed = len(kept_rows) < len(previous.passages)
    if removed and kind not in ("hnsw", "hnsw-sq8"):
        return None  # exact indexes rebuild in well under a second; IVF is rebuilt to keep it simple
    row_of_id = previous.dense_rows if previous.dense_rows is not None else np.arange(previous.dense.ntotal)
    new_row = np.full(len(previous.passages) + 1, -1, dtype=np.int64)  # last slot: a removed id stays -1
    new_row[kept_rows] = np.arange(len(kept_rows))
    rows = np.concatenate([new_row[row_of_id], np.arange(len(kept_rows), n_passages)]).astype(np.int32)
    if (rows < 0).mean() > settings.masked_max_share:
        return None
    local = Tables(fresh.sentences, fresh.passages.copy(), fresh.vectors, fresh.tokens, fresh.offsets)
    local.passages[:, 3:] -= first_sentence  # fresh passages point at rows after the kept sentences
    if len(local.passages):
        previous.dense.add(passage_vectors(local))
    return previous.dense, (None if np.array_equal(rows, np.arange(len(rows))) else rows)


def _write(settings: Settings, encoder: Encoder, articles: list[Article], tables: Tables,
           vocab: dict[str, int], dense: Any = None, dense_rows: np.ndarray | None = None) -> tuple[str, str]:
    """Make the searchers and the manifest, save the version, switch CURRENT to it atomically."""
    if dense is None:
        dense, kind = make_dense_index(passage_vectors(tables), settings.index_type)
    else:
        kind = dense_kind(dense)
    bm25 = bm25_from_ids(tables.tokens, tables.offsets, vocab)  # stored ids: no re-tokenising
    version = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    per_article = np.bincount(tables.passages[:, 0], minlength=len(articles))
    manifest = {
        "format": FORMAT, "package_version": __version__, "created": datetime.now(timezone.utc).isoformat(),
        "model": encoder.name, "dimension": encoder.dimension, "chunking": chunk_settings(settings),
        "index_type": kind, "counts": {"articles": len(articles), "passages": len(tables.passages),
                                       "sentences": len(tables.sentences)},
        "articles": {a.id: {"sha256": a.sha256, "passages": int(per_article[i])} for i, a in enumerate(articles)},
    }
    save_version(settings.index_dir, version, manifest, articles, tables, dense, bm25, dense_rows)
    set_current(settings.index_dir, version)
    prune_versions(settings.index_dir, settings.keep_versions)
    return version, kind
