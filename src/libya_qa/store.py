"""The store interface: what search, builds, versions and the API ask of an index, whatever holds it.

Two implementations: `filestore` (versioned folders with FAISS and BM25, the embedded default) and
`pgstore` (PostgreSQL with pgvector). A `Store` is the root (versions, builds, rollback); a `Snapshot`
is one immutable version that answers the read verbs. Rows come back named and typed, so search and
excerpts never know how a store lays out its data.

Keys: an article key and a sentence id are integers meaningful within one snapshot. The sentence ids
of one article are consecutive in reading order, so id +/- 1 within an article is its neighbour.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .schema import Article, Filters, Source
from .tables import Embedded


@dataclass(frozen=True)
class Candidates:
    """Passages one retriever found, best first, with its own scores."""

    passages: np.ndarray  # int64 passage ids
    scores: np.ndarray  # float32

    @classmethod
    def none(cls) -> Candidates:
        """No passages."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))


@dataclass(frozen=True)
class SentenceView:
    """Sentences of some passages and their neighbours: named columns, unit vectors and article bodies."""

    ids: np.ndarray  # int64 sentence ids, ascending
    article: np.ndarray  # int32 article keys, aligned with ids
    start: np.ndarray  # int32 offsets in the article body, aligned with ids
    end: np.ndarray
    vectors: np.ndarray  # float32 unit rows, aligned with ids
    passages: Mapping[int, tuple[int, int]]  # requested passage id -> (first, last) sentence ids, inclusive
    articles: Mapping[int, Article]  # every article the sentences belong to
    _position: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Index the ids once (the view is immutable)."""
        self._position.update((int(s), i) for i, s in enumerate(self.ids))

    def position(self, sentence: int) -> int | None:
        """Where a sentence id sits in the view, or None when the view does not hold it."""
        return self._position.get(sentence)

    def text(self, i: int) -> str:
        """The exact text of the sentence at position i."""
        return self.articles[int(self.article[i])].body[self.start[i] : self.end[i]]

    def same_paragraph(self, i: int, j: int) -> bool:
        """True when positions i < j hold sentences of one article with no line break between them."""
        if self.article[i] != self.article[j]:
            return False
        return "\n" not in self.articles[int(self.article[i])].body[int(self.end[i]) : int(self.start[j])]

    def scored(self) -> Iterator[int]:
        """Positions of the sentences inside the requested passages (neighbours outside them excluded)."""
        inside = {s for first, last in self.passages.values() for s in range(first, last + 1)}
        return (i for i, s in enumerate(self.ids) if int(s) in inside)


@dataclass(frozen=True)
class ArticleEvidence:
    """Whole-article signals for some article keys, aligned with them."""

    keys: np.ndarray
    keywords: np.ndarray  # whole-article BM25 of the query, relative to the best article of the index
    lead: np.ndarray  # cosine of the query with the article's first passage
    lead_coverage: np.ndarray  # share of the query's idf mass in the article's first passage
    coverage: np.ndarray  # share of the query's idf mass anywhere in the article
    best_coverage: float = 0.0  # the highest such share of any article of the snapshot (not only these)


@dataclass(frozen=True)
class CatalogueEntry:
    """An indexed article as listings show it, with its key in the snapshot it came from."""

    key: int
    source: Source
    passages: int
    sha256: str


@dataclass(frozen=True)
class Selection:
    """The articles a filter keeps, in a store's own terms, and how many it left out for an unknown date."""

    keys: np.ndarray  # article keys kept
    undated_left_out: int = 0
    handle: Any = None  # the store's prepared form (a passage mask, a SQL condition)


class Snapshot(Protocol):
    """One index version: immutable, searched by many requests at once."""

    version: str
    manifest: Mapping[str, Any]

    def catalogue(self) -> list[CatalogueEntry]:
        """Every indexed article's citation and passage count, in id order."""
        ...

    def article_by_id(self, article_id: str) -> Article | None:
        """The stored article (the body quotes are cut from), or None."""
        ...

    def select(self, filters: Filters) -> Selection:
        """The articles that pass the filters (applied before ranking, never by thinning a top-k)."""
        ...

    def dense(self, vector: np.ndarray, k: int, among: Selection | None = None) -> Candidates:
        """The k passages nearest the unit query vector."""
        ...

    def keywords(self, terms: Sequence[str], k: int, among: Selection | None = None) -> Candidates:
        """The k passages with the best BM25 for the stemmed terms (only those scoring above 0)."""
        ...

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Each distinct term's idf over passages; a term the index never saw gets the largest possible."""
        ...

    def known_terms(self, terms: Sequence[str]) -> frozenset[str]:
        """The terms that occur somewhere in the indexed text."""
        ...

    def vocabulary(self) -> list[str]:
        """Every term the index has seen (perhaps a few no longer in this version: check with known_terms)."""
        ...

    def sentences(self, passages: Sequence[int], margin: int = 1) -> SentenceView:
        """The sentences of these passages, plus `margin` neighbours each side within the article."""
        ...

    def article_evidence(
        self, keys: np.ndarray, terms: Sequence[str], weights: Mapping[str, float], vector: np.ndarray
    ) -> ArticleEvidence:
        """Whole-article keyword score, lead cosine, lead and whole keyword coverage for some articles."""
        ...


class Store(Protocol):
    """Where index versions live: the current pointer, builds, rollback and pruning."""

    kind: str

    def current_version(self) -> str | None:
        """The version being served, or None when nothing was built yet."""
        ...

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        ...

    def load(self, version: str | None = None, verify: bool = True) -> Snapshot:
        """A version (the current one unless named), verified unless told not to."""
        ...

    def manifest(self, version: str | None = None) -> dict[str, Any] | None:
        """A version's manifest without loading it (None when there is no index)."""
        ...

    def write_version(
        self,
        articles: Sequence[Article],
        fresh: Embedded,
        previous: Snapshot | None,
        manifest: dict[str, Any],
        kept: Mapping[int, int],
    ) -> tuple[str, str]:
        """Store a new version and make it current; (version, index type).

        The version holds `articles`: those in `kept` (previous article key -> row in `articles`) keep
        their rows from `previous`, the rest come embedded in `fresh`.
        """
        ...

    def rollback(self) -> tuple[str | None, str]:
        """Serve the newest intact version older than the current one; (old, new)."""
        ...

    def version_articles(self, version: str) -> list[Article]:
        """The articles a kept version holds (to check a quote made from it), without loading it to search."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Exclusive build lock (one build at a time per store), or Conflict at once."""
        ...
