"""The PostgreSQL store's tables, their checks, and fast binary COPY of numpy rows.

Rows are shared between versions: an article row (with its passages, sentences and term counts) is
written once, by the build that first embedded that text, and every later version that keeps the
article points at the same rows. A version is a row of `versions` holding the id ranges of its
articles and passages (multiranges: ids are handed out in blocks, one block per build), so a version
filter is one range test and never a join.

The sentence and passage columns come from `tables.SENTENCE` and `tables.PASSAGE`: a column added
there is a column here, written and read back without further code.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import IndexUnavailable
from .tables import PASSAGE, SENTENCE

SCHEMA = "libya_qa"
FORMAT = 1  # bump when a table changes shape: a server refuses a database written in another format
PGVECTOR_MIN = (0, 7)
ID_COLUMNS = {"article", "first", "last"}  # keys and sentence ids: bigint in the database
HNSW_M, HNSW_EF_CONSTRUCTION = 16, 64  # pgvector's defaults (bench/pg_store.py measures recall)
RESET = f"drop its {SCHEMA} schema (DROP SCHEMA {SCHEMA} CASCADE) or point LIBYA_QA_DATABASE_URL at another database"

_SQL_TYPES = {
    ("i", 1): "smallint",
    ("i", 2): "smallint",
    ("i", 4): "integer",
    ("i", 8): "bigint",
    ("u", 1): "smallint",
    ("u", 2): "integer",
    ("u", 4): "bigint",
    ("f", 4): "real",
    ("f", 8): "double precision",
    ("b", 1): "boolean",
}
_BINARY = {
    "smallint": ">i2",
    "integer": ">i4",
    "bigint": ">i8",
    "real": ">f4",
    "double precision": ">f8",
    "boolean": "?",
}


def columns(dtype: np.dtype) -> list[tuple[str, str]]:
    """(name, SQL type) of each field of a row dtype; keys and sentence ids are bigint."""
    out = []
    for name in dtype.names or ():
        field = dtype.fields[name][0]
        out.append((name, "bigint" if name in ID_COLUMNS else _SQL_TYPES[(field.kind, field.itemsize)]))
    return out


def _column_list(dtype: np.dtype) -> str:
    """The column definitions of a row dtype."""
    return ", ".join(f'"{name}" {kind} NOT NULL' for name, kind in columns(dtype))


def ddl(dimension: int) -> list[str]:
    """Statements creating the schema for vectors of `dimension` (the HNSW graph comes after the first load)."""
    s = SCHEMA
    return [
        f"CREATE SCHEMA {s}",
        f"CREATE TABLE {s}.meta (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), "
        "format integer NOT NULL, model text NOT NULL, dimension integer NOT NULL)",
        f"CREATE TABLE {s}.versions (name text PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), "
        "manifest jsonb NOT NULL, articles int8multirange NOT NULL, passages int8multirange NOT NULL, "
        "n_articles integer NOT NULL, n_passages integer NOT NULL, article_length double precision NOT NULL, "
        "passage_length double precision NOT NULL)",
        f"CREATE TABLE {s}.current (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), "
        f"version text NOT NULL REFERENCES {s}.versions)",
        # length: BM25 tokens of all its passages; passages/sentences: the id ranges of its rows.
        f"CREATE TABLE {s}.articles (id bigint PRIMARY KEY, article_id text NOT NULL, sha256 text NOT NULL, "
        "source jsonb NOT NULL, body text NOT NULL, notes text NOT NULL, length integer NOT NULL, "
        "passages int8range NOT NULL, sentences int8range NOT NULL)",
        f"CREATE TABLE {s}.passages (id bigint PRIMARY KEY, {_column_list(PASSAGE)}, length integer NOT NULL, "
        f"embedding halfvec({dimension}) NOT NULL)",
        f"CREATE INDEX ON {s}.passages (article)",
        f"CREATE TABLE {s}.sentences (id bigint PRIMARY KEY, {_column_list(SENTENCE)}, "
        f"embedding halfvec({dimension}) NOT NULL)",
        f"CREATE TABLE {s}.terms (id serial PRIMARY KEY, term text NOT NULL UNIQUE)",
        # BM25 postings (term frequency and the document's length), per passage and per whole article.
        f"CREATE TABLE {s}.passage_terms (term integer NOT NULL, passage bigint NOT NULL, tf integer NOT NULL, "
        "length integer NOT NULL, PRIMARY KEY (term, passage) INCLUDE (tf, length))",
        f"CREATE INDEX ON {s}.passage_terms (passage)",
        f"CREATE TABLE {s}.article_terms (term integer NOT NULL, article bigint NOT NULL, tf integer NOT NULL, "
        "length integer NOT NULL, PRIMARY KEY (term, article) INCLUDE (tf, length))",
        f"CREATE INDEX ON {s}.article_terms (article)",
        f"CREATE SEQUENCE {s}.article_ids",
        f"CREATE SEQUENCE {s}.passage_ids",
        f"CREATE SEQUENCE {s}.sentence_ids",
    ]


HNSW_INDEX = (
    f"CREATE INDEX IF NOT EXISTS passages_embedding ON {SCHEMA}.passages "
    f"USING hnsw (embedding halfvec_ip_ops) WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
)


def check_pgvector(conn: Any, where: str, create: bool) -> None:
    """pgvector must be there (created when `create` and allowed), at least PGVECTOR_MIN."""
    found = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    if found is None and create:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except Exception as exc:  # not installed on the server, or no right to create it
            raise IndexUnavailable(
                "pgvector_missing",
                f"the database {where} has no pgvector ({_first_line(exc)}): "
                "install pgvector >= 0.7 on the server and run CREATE EXTENSION vector "
                "as a superuser",
            ) from exc
        found = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    if found is None:
        raise IndexUnavailable(
            "pgvector_missing",
            f"the database {where} has no pgvector extension: run "
            "CREATE EXTENSION vector as a superuser (pgvector >= 0.7 must be installed)",
        )
    version = tuple(int(p) for p in str(found[0]).split(".")[:2] if p.isdigit())
    if version < PGVECTOR_MIN:
        raise IndexUnavailable(
            "pgvector_old",
            f"the database {where} has pgvector {found[0]}; halfvec and HNSW "
            "need >= 0.7: ALTER EXTENSION vector UPDATE after upgrading pgvector",
        )


def read_meta(conn: Any) -> tuple[int, str, int] | None:
    """(format, model, dimension) of the schema, or None when the database holds no index yet."""
    exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.meta",)).fetchone()[0]
    if exists is None:
        return None
    row = conn.execute(f"SELECT format, model, dimension FROM {SCHEMA}.meta").fetchone()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]))


def check_meta(meta: tuple[int, str, int], where: str, model: str | None = None, dimension: int | None = None) -> None:
    """Refuse a schema of another format, or (when given) of another model or vector size."""
    fmt, stored_model, stored_dimension = meta
    if fmt != FORMAT:
        raise IndexUnavailable(
            "index_format",
            f"the database {where} holds a libya_qa schema of format {fmt}, "
            f"not {FORMAT}: {RESET}, then run `libya-qa index`",
        )
    if model is not None and (stored_model, stored_dimension) != (model, dimension):
        raise IndexUnavailable(
            "index_model_mismatch",
            f"the database {where} holds an index of model "
            f"{stored_model!r} ({stored_dimension}-d), not {model!r} ({dimension}-d): {RESET}, "
            "then run `libya-qa index`",
        )


def create_schema(conn: Any, model: str, dimension: int) -> None:
    """The tables, sequences and the meta row of a new index."""
    for statement in ddl(dimension):
        conn.execute(statement)
    conn.execute(
        f"INSERT INTO {SCHEMA}.meta (format, model, dimension) VALUES (%s, %s, %s)", (FORMAT, model, dimension)
    )


def reserve_ids(conn: Any, sequence: str, n: int) -> int:
    """The first of `n` consecutive fresh ids from a sequence (builds run one at a time)."""
    if n == 0:
        return 0
    last = conn.execute(
        f"SELECT setval('{SCHEMA}.{sequence}', nextval('{SCHEMA}.{sequence}') + %s)", (n - 1,)
    ).fetchone()[0]
    return int(last) - n + 1


def copy_rows(conn: Any, table: str, fields: Sequence[tuple[str, str, np.ndarray]]) -> None:
    """COPY fixed-width columns (name, SQL type or "halfvec", values) in PostgreSQL's binary format.

    The tuples are laid out by one numpy record array: millions of rows take well under a second,
    where a Python loop over rows would take tens of seconds.
    """
    n = len(fields[0][2])
    layout: list[tuple[str, Any] | tuple[str, Any, Any]] = [("count", ">i2")]
    for i, (_, kind, values) in enumerate(fields):
        layout.append((f"size{i}", ">i4"))
        if kind == "halfvec":
            layout += [(f"dim{i}", ">u2"), (f"unused{i}", ">u2"), (f"value{i}", ">f2", (values.shape[1],))]
        else:
            layout.append((f"value{i}", _BINARY[kind]))
    records = np.zeros(n, dtype=np.dtype(layout))
    records["count"] = len(fields)
    for i, (_, kind, values) in enumerate(fields):
        if kind == "halfvec":
            records[f"size{i}"] = 4 + 2 * values.shape[1]
            records[f"dim{i}"] = values.shape[1]
        else:
            records[f"size{i}"] = np.dtype(_BINARY[kind]).itemsize
        records[f"value{i}"] = values
    names = ", ".join(f'"{name}"' for name, _, _ in fields)
    with conn.cursor().copy(f"COPY {SCHEMA}.{table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        payload = memoryview(records.tobytes())
        for lo in range(0, len(payload), 1 << 24):  # 16 MB pieces
            copy.write(payload[lo : lo + (1 << 24)])
        copy.write(struct.pack(">h", -1))


def _first_line(exc: BaseException) -> str:
    """An exception's message, first line only."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
