"""Write one index version into PostgreSQL: fresh article rows by binary COPY, then the version row.

Runs inside the caller's transaction: nothing is visible until it commits, so a build killed half-way
leaves the current version serving and no partial rows behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import IndexUnavailable
from .pgschema import HNSW_INDEX, SCHEMA, columns, copy_rows, reserve_ids
from .schema import Article
from .tables import PASSAGE, SENTENCE, Embedded, Tables

# Refresh the planner's statistics when a build adds at least this share of a table's rows.
ANALYZE_SHARE = 0.1


@dataclass(frozen=True)
class Keys:
    """Database ids for one build: each article row's key, and the fresh rows' first ids."""

    articles: np.ndarray  # key of each row of the build's article list
    first_passage: int
    first_sentence: int


def allocate(conn: Any, n_articles: int, kept: Mapping[int, int], fresh: Embedded) -> Keys:
    """Keep the keys of unchanged articles; reserve consecutive ids for everything new."""
    keys = np.full(n_articles, -1, dtype=np.int64)
    for old_key, row in kept.items():
        keys[row] = old_key
    new_rows = np.flatnonzero(keys < 0)
    keys[new_rows] = reserve_ids(conn, "article_ids", len(new_rows)) + np.arange(len(new_rows))
    return Keys(
        keys,
        reserve_ids(conn, "passage_ids", len(fresh.passages)),
        reserve_ids(conn, "sentence_ids", len(fresh.sentences)),
    )


def _term_ids(conn: Any, terms: list[list[str]]) -> dict[str, int]:
    """Ids of every term the fresh passages use, adding the new ones to the shared dictionary."""
    vocabulary = sorted({t for ts in terms for t in ts})
    if not vocabulary:
        return {}
    conn.execute(
        f"INSERT INTO {SCHEMA}.terms (term) SELECT unnest(%s::text[]) ON CONFLICT (term) DO NOTHING", (vocabulary,)
    )
    rows = conn.execute(f"SELECT term, id FROM {SCHEMA}.terms WHERE term = ANY(%s::text[])", (vocabulary,))
    return dict(rows.fetchall())


def _counts(owners: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, term, count) for each distinct pair of a token stream."""
    if not len(tokens):
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    pairs = np.stack([owners, tokens], axis=1)
    unique, counts = np.unique(pairs, axis=0, return_counts=True)
    return unique[:, 0], unique[:, 1], counts


def _write_rows(conn: Any, fresh: Embedded, keys: Keys) -> dict[int, tuple[int, int, int, int, int]]:
    """COPY the fresh passages, sentences and BM25 postings; per new article key, its row spans and tokens."""
    passage_ids = keys.first_passage + np.arange(len(fresh.passages))
    sentence_ids = keys.first_sentence + np.arange(len(fresh.sentences))
    owners = keys.articles[fresh.passages["article"]]
    lengths = np.array([len(ts) for ts in fresh.terms], dtype=np.int64)
    if len(passage_ids):
        vectors = Tables(
            fresh.sentences, fresh.passages, fresh.vectors, np.zeros(0, np.int32), np.zeros(1, np.int64)
        ).passage_vectors()
        renamed = {
            "article": owners,
            "first": fresh.passages["first"] + keys.first_sentence,
            "last": fresh.passages["last"] + keys.first_sentence,
        }
        copy_rows(
            conn,
            "passages",
            [
                ("id", "bigint", passage_ids),
                *_row_fields(PASSAGE, fresh.passages, renamed),
                ("length", "integer", lengths),
                ("embedding", "halfvec", vectors),
            ],
        )
        renamed = {"article": keys.articles[fresh.sentences["article"]]}
        copy_rows(
            conn,
            "sentences",
            [
                ("id", "bigint", sentence_ids),
                *_row_fields(SENTENCE, fresh.sentences, renamed),
                ("embedding", "halfvec", fresh.vectors),
            ],
        )
    ids = _term_ids(conn, fresh.terms)
    tokens = np.array([ids[t] for ts in fresh.terms for t in ts], dtype=np.int64)
    passages, terms, tf = _counts(np.repeat(passage_ids, lengths), tokens)
    copy_rows(
        conn,
        "passage_terms",
        [
            ("term", "integer", terms),
            ("passage", "bigint", passages),
            ("tf", "integer", tf),
            ("length", "integer", lengths[passages - keys.first_passage]),
        ],
    )
    # A whole article is its passages end to end (an overlap sentence counts twice, as in the file store).
    spans = _spans(owners, lengths, keys.first_passage, keys.articles[fresh.sentences["article"]], keys.first_sentence)
    articles, terms, tf = _counts(np.repeat(owners, lengths), tokens)
    totals = np.array([spans[int(a)][4] for a in articles], dtype=np.int64)
    copy_rows(
        conn,
        "article_terms",
        [
            ("term", "integer", terms),
            ("article", "bigint", articles),
            ("tf", "integer", tf),
            ("length", "integer", totals),
        ],
    )
    return spans


def _spans(
    passage_owners: np.ndarray,
    lengths: np.ndarray,
    first_passage: int,
    sentence_owners: np.ndarray,
    first_sentence: int,
) -> dict[int, tuple[int, int, int, int, int]]:
    """Per article key: (first passage id, passage count, first sentence id, sentence count, tokens).

    The fresh rows of one article are contiguous (build order), so each is one run of ids.
    """
    spans: dict[int, list[int]] = {}
    keys, starts, counts = np.unique(passage_owners, return_index=True, return_counts=True)
    for key, start, count in zip(keys.tolist(), starts.tolist(), counts.tolist()):
        spans[key] = [first_passage + start, count, 0, 0, int(lengths[start : start + count].sum())]
    keys, starts, counts = np.unique(sentence_owners, return_index=True, return_counts=True)
    for key, start, count in zip(keys.tolist(), starts.tolist(), counts.tolist()):
        spans.setdefault(key, [0, 0, 0, 0, 0])[2:4] = [first_sentence + start, count]
    return {k: (v[0], v[1], v[2], v[3], v[4]) for k, v in spans.items()}


def _row_fields(
    dtype: np.dtype, rows: np.ndarray, renamed: Mapping[str, np.ndarray]
) -> list[tuple[str, str, np.ndarray]]:
    """Every column of a row table for COPY, with the ids that change on the way in replaced."""
    return [(name, kind, renamed.get(name, rows[name])) for name, kind in columns(dtype)]


def _write_articles(
    conn: Any,
    articles: Sequence[Article],
    keys: Keys,
    kept: Mapping[int, int],
    spans: Mapping[int, tuple[int, int, int, int, int]],
) -> None:
    """COPY the new article rows with their token counts and the id ranges of their passages and sentences."""
    from psycopg.types.json import Jsonb
    from psycopg.types.range import Range

    kept_rows = set(kept.values())
    with conn.cursor().copy(
        f"COPY {SCHEMA}.articles (id, article_id, sha256, source, body, notes, length, passages, sentences) FROM STDIN"
    ) as copy:
        for row, article in enumerate(articles):
            if row in kept_rows:
                continue
            key = int(keys.articles[row])
            p0, np_, s0, ns, tokens = spans.get(key, (0, 0, 0, 0, 0))
            copy.write_row(
                (
                    key,
                    article.id,
                    article.sha256,
                    Jsonb(article.source.to_dict()),
                    article.body,
                    article.notes,
                    tokens,
                    _range(Range, p0, np_),
                    _range(Range, s0, ns),
                )
            )


def _range(range_type: Any, first: int, count: int) -> Any:
    """The int8range [first, first + count), empty for no rows."""
    return range_type(first, first + count, "[)") if count else range_type(empty=True)


def write_version(
    conn: Any, articles: Sequence[Article], fresh: Embedded, manifest: dict[str, Any], kept: Mapping[int, int]
) -> dict[str, Any]:
    """Add the fresh rows, the version row and make it current; the manifest as stored."""
    keys = allocate(conn, len(articles), kept, fresh)
    spans = _write_rows(conn, fresh, keys)
    _write_articles(conn, articles, keys, kept, spans)
    conn.execute(HNSW_INDEX)  # built once over the first load (bulk load, then graph); kept up to date after
    _analyze_if_grown(conn, len(fresh.passages))
    stats = conn.execute(
        f"SELECT count(*), coalesce(sum(upper(passages) - lower(passages)), 0), "
        f"coalesce(sum(upper(sentences) - lower(sentences)), 0), coalesce(avg(length), 0), coalesce(sum(length), 0) "
        f"FROM {SCHEMA}.articles WHERE id = ANY(%s)",
        (keys.articles.tolist(),),
    ).fetchone()
    n_articles, n_passages, n_sentences, article_length, tokens = (
        int(stats[0]),
        int(stats[1]),
        int(stats[2]),
        float(stats[3]),
        float(stats[4]),
    )
    if not n_passages:
        raise IndexUnavailable("corpus_empty", "the corpus has no article to index; add one with `libya-qa add`")
    counts = _passage_counts(conn, keys.articles.tolist())
    manifest = {
        **manifest,
        "index_type": "pgvector-hnsw",
        "counts": {"articles": n_articles, "passages": n_passages, "sentences": n_sentences},
        "articles": {
            a.id: {"sha256": a.sha256, "passages": counts.get(int(k), 0)} for a, k in zip(articles, keys.articles)
        },
    }
    from psycopg.types.json import Jsonb

    conn.execute(
        f"INSERT INTO {SCHEMA}.versions (name, manifest, articles, passages, n_articles, n_passages, "
        "article_length, passage_length) "
        "SELECT %s, %s, coalesce(range_agg(int8range(id, id + 1)), '{}'), coalesce(range_agg(passages), '{}'), "
        f"%s, %s, %s, %s FROM {SCHEMA}.articles WHERE id = ANY(%s)",
        (
            manifest["version"],
            Jsonb(manifest),
            n_articles,
            n_passages,
            article_length,
            tokens / n_passages,
            keys.articles.tolist(),
        ),
    )
    conn.execute(
        f"INSERT INTO {SCHEMA}.current (version) VALUES (%s) ON CONFLICT (singleton) "
        "DO UPDATE SET version = EXCLUDED.version",
        (manifest["version"],),
    )
    return manifest


def _passage_counts(conn: Any, keys: list[int]) -> dict[int, int]:
    """Passages per article key."""
    rows = conn.execute(
        f"SELECT id, coalesce(upper(passages) - lower(passages), 0) FROM {SCHEMA}.articles WHERE id = ANY(%s)", (keys,)
    )
    return {int(k): int(n) for k, n in rows.fetchall()}


def _analyze_if_grown(conn: Any, added: int) -> None:
    """Refresh planner statistics after a large load (plans choose between HNSW and exact scans on them)."""
    total = conn.execute(f"SELECT reltuples FROM pg_class WHERE oid = '{SCHEMA}.passages'::regclass").fetchone()[0]
    if added and (total <= 0 or added >= ANALYZE_SHARE * total):
        for table in ("articles", "passages", "sentences", "passage_terms", "article_terms", "terms"):
            conn.execute(f"ANALYZE {SCHEMA}.{table}")
