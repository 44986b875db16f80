"""The PostgreSQL store: index versions in tables, passages searched by pgvector HNSW and BM25 in SQL.

Several `serve` processes (and read replicas) share one database. A build writes its rows and the
version row and moves the current pointer in one transaction; servers poll the pointer (one indexed
row) every second. The schema and its version multiranges are described in `pgschema`.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from .errors import Conflict, IndexUnavailable
from .pgschema import SCHEMA, check_meta, check_pgvector, create_schema, read_meta
from .pgsnapshot import PostgresSnapshot
from .schema import Article
from .tables import Embedded

LOCK_KEY = 0x6C6962796171  # "libyaq": the advisory lock that keeps builds one at a time per database
HNSW_EF_SEARCH = 100  # bench/pg_store.py: recall@10 against exact search at 105,089 passages
BODY_CACHE = 4096  # article bodies kept in memory; rows never change once written, so any version may share them


def where(url: str) -> str:
    """A URL as messages show it: host, port and database, never a password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # a malformed URL is reported by the connection attempt itself
        return "(unparsable URL)"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


class Database:
    """One database as this process uses it: a connection pool and the article bodies read so far."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = where(url)
        self._pool: Any = None
        self._lock = threading.Lock()
        self._bodies: OrderedDict[int, Article] = OrderedDict()
        self._vector_ready: weakref.WeakSet[Any] = weakref.WeakSet()

    def connect(self, autocommit: bool = True) -> Any:
        """A new connection of its own (builds, locks), or a clear error naming the database."""
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=autocommit, connect_timeout=10)
        except psycopg.Error as exc:
            raise self.unreachable(exc) from exc

    def unreachable(self, exc: BaseException) -> IndexUnavailable:
        """The error for a database that cannot be reached."""
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc.__class__.__name__
        return IndexUnavailable(
            "database_unreachable",
            f"cannot reach PostgreSQL at {self.where} ({reason}): start the server or fix LIBYA_QA_DATABASE_URL",
        )

    @contextlib.contextmanager
    def pooled(self) -> Iterator[Any]:
        """A pooled autocommit connection with the vector types registered, errors made clear."""
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self._get_pool().connection() as conn:
                if conn not in self._vector_ready and conn.execute("SELECT to_regtype('halfvec')").fetchone()[0]:
                    from pgvector.psycopg import register_vector

                    register_vector(conn)
                    self._vector_ready.add(conn)
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise self.unreachable(exc) from exc

    def _get_pool(self) -> Any:
        """The pool, opened on first use after a direct connection proved the database reachable."""
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                self.connect().close()  # fail fast with the clear message, not after the pool's timeout
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=16,
                    timeout=15,
                    open=True,
                    kwargs={"autocommit": True, "connect_timeout": 10},
                    configure=_configure,
                    name=f"libya_qa {self.where}",
                )
                weakref.finalize(self, self._pool.close)
            return self._pool

    def close(self) -> None:
        """Close the pool (its connections and threads)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def bodies(self, keys: Sequence[int]) -> dict[int, Article]:
        """Articles by key, read once and cached."""
        from .schema import Source

        missing = [k for k in keys if k not in self._bodies]
        if missing:
            with self.pooled() as conn:
                rows = conn.execute(
                    f"SELECT id, source, body, notes FROM {SCHEMA}.articles WHERE id = ANY(%s)", (missing,)
                ).fetchall()
            with self._lock:
                for key, source, body, notes in rows:
                    self._bodies[int(key)] = Article(Source(**source), body, notes)
                while len(self._bodies) > BODY_CACHE:
                    self._bodies.popitem(last=False)
        found = {k: self._bodies.get(k) for k in keys}
        return {k: a for k, a in found.items() if a is not None}


def _configure(conn: Any) -> None:
    """Search settings of every pooled connection: HNSW depth, iterative scans so filters never starve,
    and no sequential scans where an index serves.

    The planner cannot estimate a multirange filter: it guesses that `id <@ version` keeps 0.5% of the
    passages and would scan the whole table exactly rather than walk the HNSW graph. Every read query
    here has an index path, so sequential scans are only taken where there is none (PostgreSQL >= 18
    counts disabled nodes; older servers add a large cost).
    """
    conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
    conn.execute("SET enable_seqscan = off")


_DATABASES: dict[str, Database] = {}
_DATABASES_LOCK = threading.Lock()


def forget(url: str) -> None:
    """Close this process's pool on a database (before it is dropped, or when done with it)."""
    with _DATABASES_LOCK:
        db = _DATABASES.pop(url, None)
    if db is not None:
        db.close()


def database(url: str) -> Database:
    """The process's one Database object per URL (one pool, one body cache)."""
    with _DATABASES_LOCK:
        if url not in _DATABASES:
            _DATABASES[url] = Database(url)
        return _DATABASES[url]


class PostgresStore:
    """Index versions in one PostgreSQL database (with pgvector)."""

    kind = "postgres"

    def __init__(self, url: str, keep_versions: int = 3) -> None:
        self.db = database(url)
        self.keep_versions = keep_versions
        self._last_seen: str | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> PostgresStore:
        """The store a Settings describes: its URL, or the embedded server beside the index folder."""
        url = settings.database_url
        if not url:
            from .pgserver import embedded_url

            url = embedded_url(settings.index_dir.parent / ".pgdata")
        return cls(url, settings.keep_versions)

    # --- versions -------------------------------------------------------------------------
    def current_version(self) -> str | None:
        """The version the current pointer names (one-row read: cheap enough to poll every second).

        When the database stops answering after a version was seen, that version is reported, so a
        server keeps serving it (its requests then fail with a clear 503) instead of stopping polling.
        """
        import psycopg

        try:
            with self.db.pooled() as conn:
                try:
                    row = conn.execute(f"SELECT version FROM {SCHEMA}.current").fetchone()
                except psycopg.errors.UndefinedTable:  # no index built in this database yet
                    row = None
        except IndexUnavailable:
            if self._last_seen is None:
                raise
            return self._last_seen
        self._last_seen = row[0] if row else None
        return self._last_seen

    def versions(self) -> list[str]:
        """Every stored version, oldest first."""
        with self.db.pooled() as conn:
            if read_meta(conn) is None:
                return []
            return [r[0] for r in conn.execute(f"SELECT name FROM {SCHEMA}.versions ORDER BY name").fetchall()]

    def manifest(self, version: str | None = None) -> dict[str, Any] | None:
        """A version's manifest (the current one unless named), None when there is none."""
        with self.db.pooled() as conn:
            if read_meta(conn) is None:
                return None
            row = conn.execute(
                f"SELECT manifest FROM {SCHEMA}.versions WHERE name = "
                f"coalesce(%s, (SELECT version FROM {SCHEMA}.current))",
                (version,),
            ).fetchone()
        return dict(row[0]) if row else None

    def load(self, version: str | None = None, verify: bool = True) -> PostgresSnapshot:
        """A version as a snapshot: its manifest, statistics and catalogue read once; rows stay in SQL."""
        with self.db.pooled() as conn:
            meta = read_meta(conn)
            if meta is None:
                raise IndexUnavailable(
                    "index_missing", f"no index in the database {self.db.where}; run `libya-qa index` to build it"
                )
            check_pgvector(conn, self.db.where, create=False)
            check_meta(meta, self.db.where)
            version = version or self.current_version()
            if version is None:
                raise IndexUnavailable(
                    "index_missing", f"no current index version in {self.db.where}; run `libya-qa index` to build it"
                )
            snapshot = PostgresSnapshot.read(self.db, conn, version)
            if verify:
                snapshot.verify(conn)
        return snapshot

    # --- builds ---------------------------------------------------------------------------
    def lock(self) -> AbstractContextManager[None]:
        """A session advisory lock: one build at a time per database, released if the builder dies."""
        return self._locked()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the build lock on a connection of its own, or raise Conflict at once."""
        conn = self.db.connect()
        try:
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
                raise Conflict(
                    "busy", f"another index build is already running on {self.db.where}; try again when it is done"
                )
            yield
        finally:
            conn.close()

    def write_version(
        self,
        articles: Sequence[Article],
        fresh: Embedded,
        previous: PostgresSnapshot | None,
        manifest: dict[str, Any],
        kept: Mapping[int, int],
    ) -> tuple[str, str]:
        """Write the fresh rows and the version, and make it current, in one transaction; then prune."""
        from .pgwrite import write_version

        with self.db.connect(autocommit=False) as conn:
            check_pgvector(conn, self.db.where, create=True)
            meta = read_meta(conn)
            if meta is None:
                create_schema(conn, manifest["model"], int(manifest["dimension"]))
            else:
                check_meta(meta, self.db.where, manifest["model"], int(manifest["dimension"]))
            conn.execute("SET LOCAL maintenance_work_mem = '512MB'")  # one pass for the first HNSW graph
            stored = write_version(conn, articles, fresh, manifest, kept)
            conn.commit()
        self.prune()
        return stored["version"], stored["index_type"]

    def rollback(self) -> tuple[str | None, str]:
        """Point at the newest version older than the current one; (old, new). Nothing is deleted."""
        current = self.current_version()
        older = [v for v in self.versions() if current is None or v < current]
        if not older:
            raise IndexUnavailable(
                "no_previous_version",
                f"no index version older than {current} in "
                f"{self.db.where}; run `libya-qa index --full` to build a new one",
            )
        with self.db.pooled() as conn:
            conn.execute(f"UPDATE {SCHEMA}.current SET version = %s", (older[-1],))
        return current, older[-1]

    def prune(self) -> list[str]:
        """Delete all but the newest `keep_versions` versions (never the current one) and rows no version uses."""
        with self.db.connect(autocommit=False) as conn:
            names = [r[0] for r in conn.execute(f"SELECT name FROM {SCHEMA}.versions ORDER BY name").fetchall()]
            current = conn.execute(f"SELECT version FROM {SCHEMA}.current").fetchone()[0]
            doomed = [n for n in names[: -self.keep_versions] if n != current]
            if doomed:
                conn.execute(f"DELETE FROM {SCHEMA}.versions WHERE name = ANY(%s)", (doomed,))
                _delete_orphans(conn)
            conn.commit()
        return doomed


def _delete_orphans(conn: Any) -> None:
    """Delete the rows of articles that no remaining version holds."""
    s = SCHEMA
    conn.execute(
        f"CREATE TEMP TABLE orphans ON COMMIT DROP AS SELECT id, lower(passages) AS p0, upper(passages) AS p1, "
        f"lower(sentences) AS s0, upper(sentences) AS s1 FROM {s}.articles a "
        f"WHERE NOT EXISTS (SELECT 1 FROM {s}.versions v WHERE a.id <@ v.articles)"
    )
    for table, column, low, high in (
        ("passage_terms", "passage", "p0", "p1"),
        ("passages", "id", "p0", "p1"),
        ("sentences", "id", "s0", "s1"),
    ):
        conn.execute(f"DELETE FROM {s}.{table} t USING orphans o WHERE t.{column} >= o.{low} AND t.{column} < o.{high}")
    conn.execute(f"DELETE FROM {s}.article_terms t USING orphans o WHERE t.article = o.id")
    conn.execute(f"DELETE FROM {s}.articles t USING orphans o WHERE t.id = o.id")
