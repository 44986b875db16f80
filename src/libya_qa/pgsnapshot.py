"""One PostgreSQL index version: the read verbs of `store.Snapshot`, answered in SQL.

A snapshot reads its version row and catalogue once; every search is a query restricted to the
version's id ranges. Keyword scores are BM25 computed in SQL from stored term counts, with the same
formula and parameters as the file store's bm25s (Lucene variant, k1 1.5, b 0.75), so both stores
rank alike (a test holds it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import IndexUnavailable
from .filters import passes
from .pgschema import SCHEMA, columns
from .schema import Article, Filters, Source
from .store import ArticleEvidence, Candidates, CatalogueEntry, Selection, SentenceView
from .tables import SENTENCE

K1, B = 1.5, 0.75  # bm25s's defaults, as the file store scores
# A filter that keeps at most this many passages is searched exactly over them (a btree on the
# article, then exact distances); larger ones walk the HNSW graph with an iterative scan.
EXACT_FILTER_MAX = 20_000
S = SCHEMA

# The query's known terms, each with how often the query repeats it (bm25s counts repeats).
_QUERY_TERMS = (
    f"q AS (SELECT t.id AS term, count(*) AS times FROM unnest(%(terms)s::text[]) AS w(term) "
    f"JOIN {S}.terms t USING (term) GROUP BY t.id)"
)
_BM25 = (
    "sum(times * ln(1 + (%(n)s - df + 0.5) / (df + 0.5)) * tf / (tf + %(k1)s * (1 - %(b)s + %(b)s * length / %(avg)s)))"
)


def _bm25(postings: str, document: str, where: str = "") -> str:
    """BM25 of the query's terms per document in one pass over their postings (df by a window)."""
    return (
        f"WITH {_QUERY_TERMS}, "
        f"hits AS (SELECT h.{document} AS document, q.times, h.tf, h.length, "
        f"count(*) OVER (PARTITION BY h.term)::float8 AS df FROM {S}.{postings} h JOIN q USING (term) "
        f"WHERE h.{document} <@ %(version)s::int8multirange) "
        f"SELECT document, {_BM25} AS score FROM hits {where} GROUP BY document"
    )


KEYWORDS = _bm25("passage_terms", "passage") + " ORDER BY score DESC, document LIMIT %(k)s"
KEYWORDS_AMONG = (
    _bm25("passage_terms", "passage", "WHERE document <@ %(among)s::int8multirange")
    + " ORDER BY score DESC, document LIMIT %(k)s"
)
ARTICLE_KEYWORDS = (
    f"WITH scores AS ({_bm25('article_terms', 'article')}) "
    "SELECT document, score, (SELECT max(score) FROM scores) FROM scores "
    "WHERE document = ANY(%(keys)s)"
)
LEADS = (
    f"SELECT a.id, -(p.embedding <#> %(vector)s), ARRAY(SELECT t.term FROM {S}.passage_terms h "
    f"JOIN {S}.terms t ON t.id = h.term WHERE h.passage = p.id AND t.term = ANY(%(terms)s::text[])) "
    f"FROM {S}.articles a JOIN {S}.passages p ON p.id = lower(a.passages) WHERE a.id = ANY(%(keys)s)"
)
# Per article of the version holding any of the terms, which of them it holds (for whole-article coverage).
ARTICLE_COVERAGE = (
    f"SELECT h.article, array_agg(t.term) FROM {S}.article_terms h JOIN {S}.terms t ON t.id = h.term "
    "WHERE t.term = ANY(%(terms)s::text[]) AND h.article <@ %(version)s::int8multirange "
    "GROUP BY h.article"
)
VOCABULARY = f"SELECT term FROM {S}.terms"
TERM_DF = (
    f"SELECT w.term, count(h.passage) FROM unnest(%(terms)s::text[]) AS w(term) "
    f"LEFT JOIN {S}.terms t USING (term) LEFT JOIN {S}.passage_terms h "
    "ON h.term = t.id AND h.passage <@ %(version)s::int8multirange GROUP BY w.term"
)
# relaxed_order (set per connection) lets the graph walk go on until k rows pass the filter; the
# outer query puts them back in exact distance order.
NEAREST = (
    f"WITH nearest AS MATERIALIZED (SELECT id, embedding <#> %(vector)s AS distance FROM {S}.passages "
    "WHERE id <@ %(ranges)s::int8multirange ORDER BY embedding <#> %(vector)s LIMIT %(k)s) "
    "SELECT id, -distance FROM nearest ORDER BY distance, id"
)
NEAREST_AMONG = (
    f"WITH candidates AS MATERIALIZED (SELECT id, embedding FROM {S}.passages "
    "WHERE article = ANY(%(keys)s)) "
    "SELECT id, -(embedding <#> %(vector)s) FROM candidates ORDER BY embedding <#> %(vector)s, id "
    "LIMIT %(k)s"
)
SENTENCE_COLUMNS = ", ".join(f's."{name}"' for name, _ in columns(SENTENCE))
# Sentences by their ids (worked out from the passages' spans): the planner cannot size a join on
# id ranges and would hash-join a full scan of the sentences instead of probing the primary key.
SENTENCES = f"SELECT s.id, {SENTENCE_COLUMNS}, s.embedding FROM {S}.sentences s WHERE s.id = ANY(%(ids)s) ORDER BY s.id"
PASSAGE_SPANS = f'SELECT id, article, "first", "last" FROM {S}.passages WHERE id = ANY(%(passages)s)'


@dataclass(frozen=True)
class Among:
    """A filter's articles as the SQL needs them: keys, their passage id ranges and how many passages."""

    keys: np.ndarray
    ranges: str  # int8multirange literal
    passages: int


def multirange(spans: Sequence[tuple[int, int]]) -> str:
    """An int8multirange literal of [first, end) spans (merged where they touch)."""
    merged: list[list[int]] = []
    for first, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([first, end])
    return "{" + ",".join(f"[{a},{b})" for a, b in merged) + "}"


def as_vector(vector: np.ndarray) -> Any:
    """A query vector as pgvector's halfvec parameter."""
    from pgvector import HalfVector

    return HalfVector(np.asarray(vector, dtype=np.float32).reshape(-1))


@dataclass
class PostgresSnapshot:
    """One version: its statistics and catalogue in memory, its rows in the database."""

    db: Any  # pgstore.Database
    version: str
    manifest: dict[str, Any]
    articles_ranges: str
    passage_ranges: str
    n_articles: int
    n_passages: int
    article_length: float
    passage_length: float
    entries: list[CatalogueEntry]
    spans: dict[int, tuple[int, int]]  # article key -> [first passage id, end)
    by_id: dict[str, int] = field(default_factory=dict, repr=False)  # article id -> key
    _df: dict[str, int] = field(default_factory=dict, repr=False)  # term -> passages holding it, filled as asked

    @classmethod
    def read(cls, db: Any, conn: Any, version: str) -> PostgresSnapshot:
        """Read a version row and its catalogue."""
        row = conn.execute(
            f"SELECT manifest, articles::text, passages::text, n_articles, n_passages, article_length, "
            f"passage_length FROM {S}.versions WHERE name = %s",
            (version,),
        ).fetchone()
        if row is None:
            raise IndexUnavailable(
                "index_corrupt",
                f"index version {version} is not in {db.where}; "
                "run `libya-qa index --full` to rebuild it (or `libya-qa index --rollback`)",
            )
        entries, spans = [], {}
        for key, source, sha, first, end in conn.execute(
            f"SELECT id, source, sha256, coalesce(lower(passages), 0), coalesce(upper(passages), 0) "
            f"FROM {S}.articles WHERE id <@ %s::int8multirange ORDER BY article_id",
            (row[1],),
        ).fetchall():
            entries.append(CatalogueEntry(int(key), Source(**source), int(end - first), sha))
            spans[int(key)] = (int(first), int(end))
        return cls(
            db,
            version,
            dict(row[0]),
            row[1],
            row[2],
            int(row[3]),
            int(row[4]),
            float(row[5]),
            float(row[6]),
            entries,
            spans,
            {e.source.id: e.key for e in entries},
        )

    def verify(self, conn: Any) -> None:
        """The version's rows are all there (counts against the manifest)."""
        counts = self.manifest.get("counts", {})
        found = conn.execute(
            f"SELECT (SELECT count(*) FROM {S}.passages WHERE id <@ %(p)s::int8multirange), "
            f"(SELECT count(*) FROM {S}.articles a JOIN {S}.sentences s "
            "ON s.id >= lower(a.sentences) AND s.id < upper(a.sentences) "  # btree range scans
            "WHERE a.id <@ %(a)s::int8multirange)",
            {"p": self.passage_ranges, "a": self.articles_ranges},
        ).fetchone()
        expected = (len(self.entries), int(counts.get("passages", -1)), int(counts.get("sentences", -1)))
        if (self.n_articles, int(found[0]), int(found[1])) != expected:
            raise IndexUnavailable(
                "index_corrupt",
                f"index version {self.version} in {self.db.where} is missing rows; "
                "run `libya-qa index --full` to rebuild it (or `libya-qa index --rollback`)",
            )

    def _rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run one read query on a pooled connection (binary results: vectors arrive as float16)."""
        return self._batch((sql, params))[0]

    def _batch(self, *queries: tuple[str, Mapping[str, Any]]) -> list[list[tuple[Any, ...]]]:
        """Run several read queries in one round trip (a psycopg pipeline); each one's rows."""
        with self.db.pooled() as conn:
            if len(queries) == 1:
                return [conn.execute(queries[0][0], queries[0][1], binary=True).fetchall()]
            with conn.pipeline():
                cursors = [conn.cursor(binary=True).execute(sql, params) for sql, params in queries]
            return [cursor.fetchall() for cursor in cursors]

    # --- listing ----------------------------------------------------------------------------
    def catalogue(self) -> list[CatalogueEntry]:
        """Every article of the version with its passage count, in id order."""
        return list(self.entries)

    def article_by_id(self, article_id: str) -> Article | None:
        """The stored article, or None."""
        key = self.by_id.get(article_id)
        return None if key is None else self.db.bodies([key]).get(key)

    # --- searching --------------------------------------------------------------------------
    def select(self, filters: Filters) -> Selection:
        """The articles that pass, with their passage id ranges for the searches."""
        verdicts = [passes(e.source, filters) for e in self.entries]
        kept = [e.key for e, ok in zip(self.entries, verdicts) if ok]
        spans = [self.spans[k] for k in kept]
        among = Among(np.array(kept, dtype=np.int64), multirange(spans), sum(b - a for a, b in spans))
        return Selection(among.keys, sum(v is None for v in verdicts), among)

    def dense(self, vector: np.ndarray, k: int, among: Selection | None = None) -> Candidates:
        """The k nearest passages: HNSW with iterative scan, or exact over a small filter's passages."""
        handle: Among | None = among.handle if among is not None else None
        if handle is not None and handle.passages == 0:
            return Candidates.none()
        params: dict[str, Any] = {"vector": as_vector(vector), "k": k}
        if handle is not None and handle.passages <= EXACT_FILTER_MAX:
            rows = self._rows(NEAREST_AMONG, {**params, "keys": handle.keys.tolist()})
        else:
            rows = self._rows(NEAREST, {**params, "ranges": handle.ranges if handle else self.passage_ranges})
        return _candidates(rows)

    def keywords(self, terms: Sequence[str], k: int, among: Selection | None = None) -> Candidates:
        """The k passages with the best BM25 (scored over the whole version, then filtered)."""
        handle: Among | None = among.handle if among is not None else None
        if not terms or (handle is not None and handle.passages == 0):
            return Candidates.none()
        params = {
            "terms": list(terms),
            "version": self.passage_ranges,
            "k": k,
            "n": self.n_passages,
            "avg": max(self.passage_length, 1e-9),
            "k1": K1,
            "b": B,
        }
        sql = KEYWORDS if handle is None else KEYWORDS_AMONG
        params |= {} if handle is None else {"among": handle.ranges}
        wanted = sorted(set(terms) - set(self._df))  # term_idf comes next: fetched in the same round trip
        if not wanted:
            return _candidates(self._rows(sql, params))
        rows, counts = self._batch((sql, params), (TERM_DF, {"terms": wanted, "version": self.passage_ranges}))
        self._df.update((term, int(df)) for term, df in counts)
        return _candidates(rows)

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Each distinct term's BM25 idf over the version's passages (an unseen term gets the largest)."""
        wanted = sorted(set(terms) - set(self._df))
        if wanted:
            for term, df in self._rows(TERM_DF, {"terms": wanted, "version": self.passage_ranges}):
                self._df[term] = int(df)
        n = self.n_passages
        return {t: float(np.log1p((n - self._df[t] + 0.5) / (self._df[t] + 0.5))) for t in set(terms)}

    def sentences(self, passages: Sequence[int], margin: int = 1) -> SentenceView:
        """The sentences of these passages and `margin` neighbours each side within their article."""
        ids = [int(p) for p in passages]
        found = self._rows(PASSAGE_SPANS, {"passages": ids})
        spans = {int(p): (int(first), int(last)) for p, _, first, last in found}
        allowed: dict[int, set[int]] = {}  # sentence id -> articles it may belong to (neighbours stay inside)
        for _, article, first, last in found:
            for sentence in range(first - margin, last + margin + 1):
                allowed.setdefault(sentence, set()).add(int(article))
        names = [name for name, _ in columns(SENTENCE)]
        at = 1 + names.index("article")
        rows = [r for r in self._rows(SENTENCES, {"ids": sorted(allowed)}) if int(r[at]) in allowed[int(r[0])]]
        table = {name: np.array([r[1 + i] for r in rows], dtype=np.int64) for i, name in enumerate(names)}
        dimension = int(self.manifest.get("dimension", 0))
        vectors = (
            np.stack([r[-1].to_numpy() for r in rows]).astype(np.float32)
            if rows
            else np.zeros((0, dimension), np.float32)
        )
        owners = sorted({int(a) for a in table["article"]})
        return SentenceView(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            article=table["article"],
            start=table["start"],
            end=table["end"],
            vectors=vectors,
            passages={p: spans[p] for p in ids if p in spans},
            articles=self.db.bodies(owners),
        )

    def article_evidence(
        self, keys: np.ndarray, terms: Sequence[str], weights: Mapping[str, float], vector: np.ndarray
    ) -> ArticleEvidence:
        """Whole-article BM25 (relative to the best article of the version), lead cosine, lead and whole coverage."""
        keys = np.asarray(keys, dtype=np.int64)
        position = {int(k): i for i, k in enumerate(keys)}
        keywords, lead, lead_coverage = np.zeros(len(keys)), np.zeros(len(keys)), np.zeros(len(keys))
        queries = [
            (LEADS, {"vector": as_vector(vector), "terms": list(weights), "keys": keys.tolist()}),
            (ARTICLE_COVERAGE, {"terms": list(weights), "version": self.articles_ranges}),
        ]
        if terms:
            queries.append(
                (
                    ARTICLE_KEYWORDS,
                    {
                        "terms": list(terms),
                        "version": self.articles_ranges,
                        "keys": keys.tolist(),
                        "n": self.n_articles,
                        "avg": max(self.article_length, 1e-9),
                        "k1": K1,
                        "b": B,
                    },
                )
            )
        leads, held_by_article, *scores = self._batch(*queries)
        for key, score, top in scores[0] if scores else []:
            keywords[position[int(key)]] = score / top if top and top > 0 else score
        total = sum(weights.values()) or 1.0
        for key, cosine, held in leads:
            lead[position[int(key)]] = cosine
            lead_coverage[position[int(key)]] = sum(weights[t] for t in held) / total
        whole = {int(key): sum(weights[t] for t in held) / total for key, held in held_by_article}
        coverage = np.array([whole.get(int(k), 0.0) for k in keys])
        return ArticleEvidence(keys, keywords, lead, lead_coverage, coverage, max(whole.values(), default=0.0))

    def known_terms(self, terms: Sequence[str]) -> frozenset[str]:
        """The terms that occur in some passage of the version."""
        self.term_idf(terms)  # fills the document frequencies
        return frozenset(t for t in terms if self._df.get(t, 0) > 0)

    def vocabulary(self) -> list[str]:
        """Every term the database has seen (terms of dropped versions too: known_terms tells)."""
        return [str(row[0]) for row in self._rows(VOCABULARY, {})]


def _candidates(rows: list[tuple[Any, ...]]) -> Candidates:
    """Candidates from (passage id, score) rows."""
    return Candidates(np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float32))
