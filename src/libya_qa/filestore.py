"""The file store, the embedded default: each version a folder of numpy tables, FAISS and bm25s files."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .article_signals import ArticleSignals
from .dense import DenseIndex
from .errors import IndexUnavailable
from .filters import passes
from .index import (
    FORMAT,
    REBUILD,
    REPAIR,
    VERSIONS,
    checked_name,
    current_version,
    list_versions,
    parse_articles,
    prune_versions,
    read_articles,
    read_manifest,
    rollback,
    set_current,
    verify_version,
    write_version_folder,
)
from .keywords import bm25_from_ids
from .locks import exclusive
from .schema import Article, Filters
from .store import ArticleEvidence, Candidates, CatalogueEntry, Selection, SentenceView
from .tables import Embedded, Tables

# A filter that keeps at most this many passages is searched exactly over them: an HNSW graph walked
# with a very selective ID filter returns fewer than k passages (the "filters on HNSW" trap).
EXACT_FILTER_MAX = 20_000
SELECTIONS_KEPT = 16  # a conversation keeps its filters from question to question: select once per snapshot


@dataclass
class FileSnapshot:
    """One loaded version: article snapshots, row tables, the dense index and the keyword index."""

    version: str
    manifest: dict[str, Any]
    articles: list[Article]
    tables: Tables
    dense_index: DenseIndex
    bm25: Any  # bm25s.BM25 over passage tokens
    signals: ArticleSignals = field(init=False)
    _selections: OrderedDict[Filters, Selection] = field(init=False, repr=False, default_factory=OrderedDict)
    _selections_lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """Derive what every question needs once, before the version serves."""
        self.signals = ArticleSignals(self.tables, len(self.articles), self.bm25.vocab_dict)
        df = np.diff(np.asarray(self.bm25.scores["indptr"]))
        n_docs = max(int(self.bm25.scores["num_docs"]), 1)
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))  # BM25-style idf over passages, by token id
        self._max_idf = float(np.log1p((n_docs + 0.5) / 0.5))

    # --- listing ----------------------------------------------------------------------------
    @cached_property  # a version never changes once loaded
    def article_rows(self) -> dict[str, int]:
        """Article id -> row."""
        return {a.id: i for i, a in enumerate(self.articles)}

    def catalogue(self) -> list[CatalogueEntry]:
        """Every indexed article with its passage count."""
        counts = self.tables.passage_counts(len(self.articles))
        return [CatalogueEntry(i, a.source, int(counts[i]), a.sha256) for i, a in enumerate(self.articles)]

    def article_by_id(self, article_id: str) -> Article | None:
        """The stored article, or None."""
        row = self.article_rows.get(article_id)
        return None if row is None else self.articles[row]

    def passage_text(self, row: int) -> str:
        """The exact text of one passage."""
        p = self.tables.passages[row]
        return self.articles[p["article"]].body[p["start"] : p["end"]]

    def as_embedded(self) -> Embedded:
        """This version's rows as a build hands fresh rows to a store (to copy an index into another store)."""
        words = {i: t for t, i in self.bm25.vocab_dict.items()}
        terms = [[words[int(i)] for i in self.tables.passage_tokens(p)] for p in range(len(self.tables.passages))]
        return Embedded(self.tables.sentences, self.tables.passages, self.tables.vectors, terms)

    # --- searching --------------------------------------------------------------------------
    def select(self, filters: Filters) -> Selection:
        """The articles that pass, with the passage mask that restricts both retrievers (the last few kept)."""
        with self._selections_lock:
            if filters in self._selections:
                self._selections.move_to_end(filters)
                return self._selections[filters]
        selection = self._select(filters)
        with self._selections_lock:
            self._selections[filters] = selection
            while len(self._selections) > SELECTIONS_KEPT:
                self._selections.popitem(last=False)
        return selection

    def _select(self, filters: Filters) -> Selection:
        """Every article's verdict, and the passage mask of those kept."""
        verdicts = [passes(a.source, filters) for a in self.articles]
        keys = np.array([i for i, ok in enumerate(verdicts) if ok], dtype=np.int64)
        allowed = np.zeros(len(self.articles), dtype=bool)
        allowed[keys] = True
        mask = allowed[self.tables.passages["article"]]
        return Selection(keys, sum(v is None for v in verdicts), mask)

    def dense(self, vector: np.ndarray, k: int, among: Selection | None = None) -> Candidates:
        """The k nearest passages; a selective filter is searched exactly over its own passages."""
        query = vector.reshape(1, -1).astype(np.float32)
        mask = among.handle if among is not None else None
        if mask is not None and mask.sum() <= EXACT_FILTER_MAX and self.dense_index.kind != "flat":
            rows = np.flatnonzero(mask)
            vectors = self.dense_index.stored_vectors(rows)
            scores = (vectors if vectors is not None else self.tables.passage_vectors(rows)) @ query[0]
            best = np.argsort(-scores)[:k]
            return Candidates(rows[best].astype(np.int64), scores[best].astype(np.float32))
        scores, ids = self.dense_index.search(query, min(k, max(len(self.tables.passages), 1)), mask)
        keep = ids[0] >= 0
        return Candidates(ids[0][keep].astype(np.int64), scores[0][keep])

    def keywords(self, terms: Sequence[str], k: int, among: Selection | None = None) -> Candidates:
        """The k passages with the best BM25 (zero scores and filtered-out passages never count)."""
        if not terms:
            return Candidates.none()
        scores = np.asarray(self.bm25.get_scores(list(terms)), dtype=np.float32)
        if among is not None:
            scores = np.where(among.handle, scores, 0.0)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return Candidates(top.astype(np.int64), scores[top])

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Each distinct term's idf over passages (unknown terms weigh the most)."""
        vocab = self.bm25.vocab_dict
        return {
            t: float(self._idf[vocab[t]]) if t in vocab and vocab[t] < len(self._idf) else self._max_idf
            for t in set(terms)
        }

    def known_terms(self, terms: Sequence[str]) -> frozenset[str]:
        """The terms that occur in some passage."""
        vocab, df = self.bm25.vocab_dict, np.diff(np.asarray(self.bm25.scores["indptr"]))
        return frozenset(t for t in terms if t in vocab and vocab[t] < len(df) and df[vocab[t]] > 0)

    def vocabulary(self) -> list[str]:
        """Every term of some passage."""
        return list(self.known_terms(list(self.bm25.vocab_dict)))

    def sentences(self, passages: Sequence[int], margin: int = 1) -> SentenceView:
        """The sentences of these passages and `margin` neighbours each side within their article."""
        rows = self.tables.passages[np.asarray(list(passages), dtype=np.int64)]
        wanted = {s for p in rows for s in range(p["first"] - margin, p["last"] + margin + 1)}
        sentences = self.tables.sentences
        ids = np.array(sorted(s for s in wanted if 0 <= s < len(sentences)), dtype=np.int64)
        owners = {int(a) for a in rows["article"]}
        ids = ids[np.isin(sentences["article"][ids], list(owners))]  # neighbours stay in their article
        chosen = sentences[ids]
        return SentenceView(
            ids=ids,
            article=chosen["article"],
            start=chosen["start"],
            end=chosen["end"],
            vectors=self.tables.vectors[ids].astype(np.float32),
            passages={int(p): (int(r["first"]), int(r["last"])) for p, r in zip(passages, rows)},
            articles={a: self.articles[a] for a in owners},
        )

    def article_evidence(
        self, keys: np.ndarray, terms: Sequence[str], weights: Mapping[str, float], vector: np.ndarray
    ) -> ArticleEvidence:
        """Whole-article BM25 (relative to the best article), lead cosine and lead coverage."""
        keys = np.asarray(keys, dtype=np.int64)
        keywords = self.signals.keywords(list(terms))[keys]
        lead_coverage = self.signals.lead_coverage(dict(weights))[keys]
        lead = self.signals.lead_vectors[keys] @ vector.astype(np.float32)
        coverage = self.signals.coverage(dict(weights))
        return ArticleEvidence(keys, keywords, lead, lead_coverage, coverage[keys], float(coverage.max(initial=0.0)))


class FileStore:
    """Versioned folders under one index directory, made current by an atomic rename of CURRENT."""

    kind = "files"

    def __init__(
        self, root: Path, index_type: str = "auto", masked_max_share: float = 0.2, keep_versions: int = 3
    ) -> None:
        self.root = root
        self.index_type = index_type
        self.masked_max_share = masked_max_share
        self.keep_versions = keep_versions

    @classmethod
    def from_settings(cls, settings: Any) -> FileStore:
        """The file store a Settings describes."""
        return cls(settings.index_dir, settings.index_type, settings.masked_max_share, settings.keep_versions)

    def current_version(self) -> str | None:
        """The version CURRENT points at."""
        return current_version(self.root)

    def versions(self) -> list[str]:
        """Complete version folders, oldest first."""
        return list_versions(self.root)

    def manifest(self, version: str | None = None) -> dict[str, Any] | None:
        """A version's manifest (None when there is no index or it cannot be read)."""
        version = version or self.current_version()
        if not version:
            return None
        try:
            return read_manifest(self.root / VERSIONS / version)
        except IndexUnavailable:
            return None

    def lock(self) -> AbstractContextManager[None]:
        """The lock that keeps builds one at a time per index folder."""
        return exclusive(self.root, "another index build")

    def rollback(self) -> tuple[str | None, str]:
        """Serve the previous intact version again."""
        return rollback(self.root)

    def version_articles(self, version: str) -> list[Article]:
        """The articles a kept version holds (checksum verified), without loading its searchers."""
        return read_articles(self.root, version)

    def load(self, version: str | None = None, verify: bool = True) -> FileSnapshot:
        """Load (and by default verify) a version, the current one unless named."""
        version = version or self.current_version()
        if not version:
            raise IndexUnavailable("index_missing", f"no index in {self.root}; run `libya-qa index` to build it")
        folder = self.root / VERSIONS / checked_name(self.root, version)
        manifest = read_manifest(folder)
        if manifest.get("format") != FORMAT:  # before reading: older tables have another layout
            raise IndexUnavailable("index_format", f"index format {manifest.get('format')} is not {FORMAT}; {REBUILD}")
        if verify:
            verify_version(folder, manifest)
        try:
            snapshot = _read_folder(folder, version, manifest)
        except IndexUnavailable:
            raise
        except Exception as exc:  # unreadable parts are corruption whatever the library raised
            raise IndexUnavailable("index_corrupt", f"index {folder} cannot be read ({exc}); {REPAIR}") from exc
        tables = snapshot.tables
        if (
            not snapshot.dense_index.matches(len(tables.passages))
            or len(tables.vectors) != len(tables.sentences)
            or len(tables.offsets) != len(tables.passages) + 1
        ):
            raise IndexUnavailable("index_corrupt", f"index {folder} tables disagree in size; {REPAIR}")
        return snapshot

    def write_version(
        self,
        articles: Sequence[Article],
        fresh: Embedded,
        previous: FileSnapshot | None,
        manifest: dict[str, Any],
        kept_rows: Mapping[int, int],
    ) -> tuple[str, str]:
        """Keep `previous`'s rows of unchanged articles, add the fresh ones, save and make it current."""
        vocab: dict[str, int] = dict(previous.bm25.vocab_dict) if previous else {}
        article_map = np.full(len(previous.articles) if previous else 0, -1, dtype=np.int64)
        article_map[list(kept_rows)] = list(kept_rows.values())
        kept = previous.tables.keep(article_map) if previous is not None else Tables.empty(fresh.vectors.shape[1])
        tokens = np.array([vocab.setdefault(t, len(vocab)) for ts in fresh.terms for t in ts], dtype=np.int32)
        offsets = np.concatenate(([0], np.cumsum([len(ts) for ts in fresh.terms]))).astype(np.int64)
        new = Tables(fresh.sentences, fresh.passages, fresh.vectors, tokens, offsets)
        tables = kept.join(new)
        if not len(tables.passages):
            raise IndexUnavailable("corpus_empty", "the corpus has no article to index; add one with `libya-qa add`")
        dense = None
        if previous is not None:
            kept_passages = np.flatnonzero(article_map[previous.tables.passages["article"]] >= 0)
            dense = previous.dense_index.carried_forward(
                kept_passages,
                len(previous.tables.passages),
                new.passage_vectors(),
                self.index_type,
                self.masked_max_share,
            )
        dense = dense or DenseIndex.build(tables.passage_vectors(), self.index_type)
        bm25 = bm25_from_ids(tables.tokens, tables.offsets, vocab)  # stored ids: no re-tokenising
        manifest = {
            **manifest,
            "index_type": dense.kind,
            "counts": {"articles": len(articles), "passages": len(tables.passages), "sentences": len(tables.sentences)},
            "articles": {
                a.id: {"sha256": a.sha256, "passages": int(n)}
                for a, n in zip(articles, tables.passage_counts(len(articles)))
            },
        }
        version = manifest["version"]
        write_version_folder(
            self.root, version, manifest, lambda folder: _write_folder(folder, articles, tables, dense, bm25)
        )
        set_current(self.root, version)
        prune_versions(self.root, self.keep_versions)
        return version, dense.kind


def _write_folder(folder: Path, articles: Sequence[Article], tables: Tables, dense: DenseIndex, bm25: Any) -> None:
    """Every file of a version (the manifest and checksums are added by the caller)."""
    with (folder / "articles.jsonl").open("w", encoding="utf-8") as handle:
        for article in articles:
            row = {
                "source": article.source.to_dict(),
                "notes": article.notes,
                "body": article.body,
                "sha256": article.sha256,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(folder / "sentences.npy", tables.sentences)
    np.save(folder / "passages.npy", tables.passages)
    np.save(folder / "sentence_vectors.npy", np.asarray(tables.vectors, dtype=np.float16))  # no copy if float16
    # Each passage's BM25 token ids, so an incremental build never re-tokenises unchanged text.
    np.save(folder / "passage_tokens.npy", np.asarray(tables.tokens, dtype=np.int32))
    np.save(folder / "token_offsets.npy", np.asarray(tables.offsets, dtype=np.int64))
    dense.save(folder)
    bm25.save(str(folder / "bm25"))


def _read_folder(folder: Path, version: str, manifest: dict[str, Any]) -> FileSnapshot:
    """A version folder's files as a snapshot (size checks are the caller's)."""
    import bm25s

    tables = Tables(
        np.load(folder / "sentences.npy"),
        np.load(folder / "passages.npy"),
        np.load(folder / "sentence_vectors.npy"),
        np.load(folder / "passage_tokens.npy"),
        np.load(folder / "token_offsets.npy"),
    )
    return FileSnapshot(
        version,
        manifest,
        parse_articles(folder / "articles.jsonl"),
        tables,
        DenseIndex.load(folder),
        bm25s.BM25.load(str(folder / "bm25")),
    )
