"""The dense passage index: one class owns FAISS (build, append, mask, search, save, load).

Vectors are unit rows searched by inner product. A FAISS id is a passage row, except after a removal
from an HNSW graph: rebuilding the graph costs ~15 s at 100,000 passages, so removed passages stay
in it, masked at search time, and `rows` maps FAISS ids to passage rows (-1 for a removed one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .config import INDEX_TYPES

# Exact search up to this many passages: a flat scan is memory-bound, ~0.1 ms per 1,000 passages on
# one core (100,000 -> ~10 ms, bench/index_types.py); beyond it "auto" switches to HNSW
# (~0.2 ms, recall@10 ~0.99 against exact at 100,000).
FLAT_MAX_PASSAGES = 100_000
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128
FILE, ROWS_FILE = "passages.faiss", "dense_rows.npy"


def choose_index_type(index_type: str, n: int) -> str:
    """The concrete index type for `n` passages ("auto": flat while small, HNSW beyond)."""
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r} ({', '.join(INDEX_TYPES)})")
    if index_type != "auto":
        return index_type
    return "flat" if n <= FLAT_MAX_PASSAGES else "hnsw"


def _make_faiss(vectors: np.ndarray, kind: str) -> Any:
    """An empty (trained where needed) FAISS inner-product index of the given kind."""
    import faiss

    n, dim = vectors.shape
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind in ("hnsw", "hnsw-sq8"):
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return index
    nlist = int(max(64, min(65_536, 2 * np.sqrt(n))))  # ivf-sq8
    index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    train = min(n, 64 * nlist)
    index.train(vectors if train == n else vectors[np.random.default_rng(0).choice(n, train, replace=False)])
    faiss.extract_index_ivf(index).nprobe = max(16, nlist // 16)
    return index


class DenseIndex:
    """Passage vectors in a FAISS index, with the map from FAISS ids to passage rows when some are masked."""

    def __init__(self, index: Any, rows: np.ndarray | None = None) -> None:
        self.index = index
        self.rows = rows  # FAISS id -> passage row (-1: removed); None when ids are rows
        self._ids: np.ndarray | None = None  # the inverse map, made when first needed
        self._live = self._selector(rows >= 0) if rows is not None else None

    # --- making ---------------------------------------------------------------------------
    @classmethod
    def build(cls, vectors: np.ndarray, index_type: str) -> DenseIndex:
        """A new index over unit vectors, of the configured type (see bench/index_types.py).

        flat: exact. hnsw: graph over full vectors (~1.8 KB a passage at 384-d). hnsw-sq8: the same graph
        over 8-bit codes (~0.7 KB). ivf-sq8: inverted lists over 8-bit codes (~0.4 KB; needs training).
        """
        kind = choose_index_type(index_type, len(vectors))
        if kind == "ivf-sq8" and len(vectors) < 10_000:
            kind = "flat"  # too few vectors to train a coarse quantiser; exact is fast at this size anyway
        index = _make_faiss(vectors, kind)
        index.add(vectors)
        return cls(index)

    def carried_forward(
        self, kept: np.ndarray, n_old: int, fresh: np.ndarray, index_type: str, masked_max_share: float
    ) -> DenseIndex | None:
        """This index with passages `kept` (old rows, in order) kept and `fresh` vectors appended, or None.

        None means rebuild: the configured type changed, the corpus crossed the exact-search limit, a
        flat or IVF index lost passages (rebuilt in well under a second), or masked vectors would pass
        `masked_max_share` of an HNSW graph.
        """
        n_passages = len(kept) + len(fresh)
        if choose_index_type(index_type, n_passages) != self.kind:
            return None
        if len(kept) < n_old and self.kind not in ("hnsw", "hnsw-sq8"):
            return None
        new_row = np.full(n_old + 1, -1, dtype=np.int64)  # the last slot keeps a removed id at -1
        new_row[kept] = np.arange(len(kept))
        old_rows = self.rows if self.rows is not None else np.arange(self.index.ntotal)
        rows = np.concatenate([new_row[old_rows], np.arange(len(kept), n_passages)]).astype(np.int32)
        if (rows < 0).mean() > masked_max_share:
            return None
        if len(fresh):
            self.index.add(fresh)
        return DenseIndex(self.index, None if np.array_equal(rows, np.arange(len(rows))) else rows)

    # --- reading --------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """The index type name: flat, hnsw, hnsw-sq8 or ivf-sq8."""
        import faiss

        if isinstance(self.index, faiss.IndexFlat):
            return "flat"
        if isinstance(self.index, faiss.IndexHNSWSQ):
            return "hnsw-sq8"
        return "hnsw" if isinstance(self.index, faiss.IndexHNSW) else "ivf-sq8"

    @property
    def ntotal(self) -> int:
        """Vectors in the index, masked ones included."""
        return int(self.index.ntotal)

    def matches(self, n_passages: int) -> bool:
        """Every passage row has exactly one live vector."""
        if self.rows is None:
            return self.ntotal == n_passages
        live = self.rows[self.rows >= 0]
        return (
            len(self.rows) == self.ntotal
            and len(live) == n_passages
            and np.array_equal(np.sort(live), np.arange(n_passages))
        )

    def stored_vectors(self, rows: np.ndarray) -> np.ndarray | None:
        """The vectors of these passage rows as the index stores them, or None when it keeps only codes.

        An exact scan of a filter's passages reads them here (a view of FAISS's own storage, then one
        gather) instead of averaging their sentence vectors again: 16 ms against 240 ms for 14,000
        passages (bench/filter_cost.py).
        """
        import faiss

        storage = self.index if isinstance(self.index, faiss.IndexFlat) else getattr(self.index, "storage", None)
        storage = faiss.downcast_index(storage) if storage is not None else None
        if not isinstance(storage, faiss.IndexFlat):  # hnsw-sq8 and ivf-sq8 keep 8-bit codes
            return None
        flat = faiss.rev_swig_ptr(storage.get_xb(), storage.ntotal * storage.d).reshape(storage.ntotal, storage.d)
        return flat[rows if self.rows is None else self._faiss_ids()[rows]]

    def _faiss_ids(self) -> np.ndarray:
        """Passage row -> FAISS id, when removed passages are masked in the graph (built once)."""
        if self._ids is None:
            assert self.rows is not None
            live = np.flatnonzero(self.rows >= 0)
            ids = np.full(int(self.rows.max()) + 1, -1, dtype=np.int64)
            ids[self.rows[live]] = live
            self._ids = ids
        return self._ids

    def search(self, vectors: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, passage rows) of the k nearest live passages per query, -1 padded.

        `allowed`, a boolean mask over passage rows, restricts the search itself (a FAISS ID selector),
        so a filter never thins a finished top-k.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if allowed is None and self._live is None:
            return self.index.search(vectors, k)
        if allowed is None:
            params = self._live
        else:
            live = allowed if self.rows is None else (self.rows >= 0) & allowed[np.maximum(self.rows, 0)]
            params = self._selector(live)
        scores, ids = self.index.search(vectors, k, params=params[0])
        if self.rows is not None:
            ids = np.where(ids >= 0, self.rows[np.maximum(ids, 0)], -1)
        return scores, ids

    def _selector(self, keep: np.ndarray) -> tuple[Any, ...]:
        """FAISS search parameters that skip ids where `keep` is False, with what they point into."""
        import faiss

        bitmap = np.packbits(keep, bitorder="little")
        selector = faiss.IDSelectorBitmap(bitmap)
        hnsw = getattr(self.index, "hnsw", None)
        params = faiss.SearchParametersHNSW() if hnsw is not None else faiss.SearchParameters()
        params.sel = selector
        if hnsw is not None:
            params.efSearch = hnsw.efSearch  # search parameters replace the index's own
        return params, selector, bitmap  # FAISS keeps raw pointers: all three must stay alive

    # --- storing --------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the index (and the row map when some vectors are masked) into a version folder."""
        import faiss

        faiss.write_index(self.index, str(folder / FILE))
        if self.rows is not None:
            np.save(folder / ROWS_FILE, np.asarray(self.rows, dtype=np.int32))

    @classmethod
    def load(cls, folder: Path) -> DenseIndex:
        """Read the index a version folder holds."""
        import faiss

        rows_path = folder / ROWS_FILE
        return cls(faiss.read_index(str(folder / FILE)), np.load(rows_path) if rows_path.exists() else None)
