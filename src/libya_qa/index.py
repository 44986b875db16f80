"""The on-disk index: versioned folders that describe themselves, verified by checksums at load."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DiskFull, IndexUnavailable
from .schema import Article, Source

FORMAT = 2  # 2: passage token ids stored for incremental builds
CURRENT = "CURRENT"
VERSIONS = "versions"
DENSE_ROWS = "dense_rows.npy"  # present only while removed passages are masked in the dense index
REBUILD = "run `libya-qa index --full` to rebuild it"
REPAIR = f"{REBUILD} (or `libya-qa index --rollback` to serve the previous version)"
VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # never a path: no '/', no leading '.'
FILE_MODE, FOLDER_MODE = 0o644, 0o755  # readable by a server running as another user


@dataclass
class IndexData:
    """One loaded index version: article snapshots, sentence and passage tables, vectors, searchers."""

    version: str
    manifest: dict[str, Any]
    articles: list[Article]
    sentences: np.ndarray  # int32 rows: article, start, end
    passages: np.ndarray  # int32 rows: article, start, end, first sentence, last sentence
    sentence_vectors: np.ndarray  # float16, unit rows, aligned with sentences
    passage_tokens: np.ndarray  # int32 BM25 token ids of all passages, flattened
    token_offsets: np.ndarray  # int64: passage i's ids are passage_tokens[offsets[i]:offsets[i+1]]
    dense: Any  # faiss index over passage vectors
    bm25: Any  # bm25s.BM25 over passage tokens
    # FAISS id -> passage row, -1 for a removed passage still in the graph; None when ids are rows.
    dense_rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        """Prepare the search parameters that skip removed passages (made once, before any request)."""
        self._live_only = _live_only_params(self.dense, self.dense_rows) if self.dense_rows is not None else ()

    def dense_search(self, vectors: np.ndarray, k: int) -> np.ndarray:
        """Passage rows of the k nearest passages for each query vector (-1 pads), removed ones skipped."""
        if self.dense_rows is None:
            return self.dense.search(vectors, k)[1]
        _, ids = self.dense.search(vectors, k, params=self._live_only[0])
        return np.where(ids >= 0, self.dense_rows[np.maximum(ids, 0)], -1)

    def passage_text(self, row: int) -> str:
        """The exact text of passage `row`."""
        article, start, end = self.passages[row, :3]
        return self.articles[article].body[start:end]

    @cached_property  # a version never changes once loaded
    def article_rows(self) -> dict[str, int]:
        """Article id -> row in `articles`."""
        return {a.id: i for i, a in enumerate(self.articles)}

    @cached_property
    def article_bm25(self) -> Any:
        """BM25 over whole articles, from their passages' stored token ids (an overlap sentence counts twice)."""
        from .keywords import bm25_from_token_docs

        owner = np.repeat(self.passages[:, 0], np.diff(self.token_offsets))  # article of each token
        # The passages' vocabulary as it is: token ids must stay dense (its "" entry may sit mid-range).
        model = bm25_from_token_docs(self.passage_tokens, owner, len(self.articles), self.bm25.vocab_dict)
        del owner
        _release_freed_memory()
        return model

    @cached_property
    def lead_passages(self) -> np.ndarray:
        """Row of each article's first passage (one per article that has passages, by article row)."""
        first = np.lexsort((self.passages[:, 1], self.passages[:, 0]))  # by article, then start
        return first[np.r_[True, np.diff(self.passages[first, 0]) != 0]] if len(first) else first

    @cached_property
    def lead_vectors(self) -> np.ndarray:
        """Per article, the unit mean vector of its first passage: what a headline usually summarises."""
        leads = np.zeros((len(self.articles), self.sentence_vectors.shape[1]), dtype=np.float32)
        for row in self.lead_passages:
            article, _, _, lo, hi = self.passages[row]
            leads[article] = self.sentence_vectors[lo:hi + 1].astype(np.float32).mean(axis=0)
        norms = np.linalg.norm(leads, axis=1, keepdims=True)
        return leads / np.where(norms > 0, norms, 1.0)

    @cached_property
    def lead_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """Which articles' first passages hold each BM25 token id, as CSR arrays (indptr, article rows)."""
        rows = self.lead_passages
        starts, ends = self.token_offsets[rows], self.token_offsets[rows + 1]
        tokens = np.concatenate([self.passage_tokens[a:b] for a, b in zip(starts, ends)] or [np.zeros(0, np.int32)])
        owners = np.repeat(self.passages[rows, 0], ends - starts)
        pairs = np.unique(tokens.astype(np.int64) * len(self.articles) + owners)  # each (term, article) once
        terms, articles = pairs // max(len(self.articles), 1), pairs % max(len(self.articles), 1)
        counts = np.bincount(terms, minlength=len(self.bm25.vocab_dict))  # one slot per token id
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return indptr, articles.astype(np.int32)


def _live_only_params(dense: Any, dense_rows: np.ndarray) -> tuple[Any, ...]:
    """FAISS search parameters that skip removed ids, with the selector and bitmap they point into."""
    import faiss

    bitmap = np.packbits(dense_rows >= 0, bitorder="little")
    selector = faiss.IDSelectorBitmap(bitmap)
    hnsw = getattr(dense, "hnsw", None)
    params = faiss.SearchParametersHNSW() if hnsw is not None else faiss.SearchParameters()
    params.sel = selector
    if hnsw is not None:
        params.efSearch = hnsw.efSearch  # search parameters replace the index's own
    return params, selector, bitmap  # FAISS keeps raw pointers: all three must stay alive


def _release_freed_memory() -> None:
    """Hand freed heap pages back to the OS (glibc only; elsewhere a no-op).

    Building the article BM25 at load allocates ~140 MB of numpy temporaries at 100,000 passages;
    glibc keeps such freed blocks in the heap, so a serving process would hold them for good.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _sha256(path: Path) -> str:
    """Hash a file in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_version(root: Path, version: str, manifest: dict[str, Any], articles: list[Article],
                 tables: Any, dense: Any, bm25: Any, dense_rows: np.ndarray | None = None) -> Path:
    """Write a version folder under a temporary name, checksum it, then rename it into place.

    On any failure the temporary folder is removed; a full disk becomes one DiskFull error.
    """
    versions = root / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=versions, prefix=f".building-{version}-"))
    try:
        os.chmod(tmp, FOLDER_MODE)
        _write_files(tmp, version, manifest, articles, tables, dense, bm25, dense_rows)
        final = versions / version
        os.replace(tmp, final)
    except BaseException as exc:
        full = isinstance(exc, Exception) and is_disk_full(exc, versions)  # before the space is freed
        shutil.rmtree(tmp, ignore_errors=True)
        if full:
            raise disk_full(versions) from exc
        raise
    return final


def _write_files(tmp: Path, version: str, manifest: dict[str, Any], articles: list[Article],
                 tables: Any, dense: Any, bm25: Any, dense_rows: np.ndarray | None) -> None:
    """The files of one version, then its manifest with their checksums."""
    import faiss

    with (tmp / "articles.jsonl").open("w", encoding="utf-8") as handle:
        for article in articles:
            row = {"source": article.source.to_dict(), "notes": article.notes, "body": article.body,
                   "sha256": article.sha256}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(tmp / "sentences.npy", np.asarray(tables.sentences, dtype=np.int32))
    np.save(tmp / "passages.npy", np.asarray(tables.passages, dtype=np.int32))
    np.save(tmp / "sentence_vectors.npy", np.asarray(tables.vectors, dtype=np.float16))  # no copy if float16
    # Each passage's BM25 token ids, so an incremental build never re-tokenises unchanged text.
    np.save(tmp / "passage_tokens.npy", np.asarray(tables.tokens, dtype=np.int32))
    np.save(tmp / "token_offsets.npy", np.asarray(tables.offsets, dtype=np.int64))
    faiss.write_index(dense, str(tmp / "passages.faiss"))
    if dense_rows is not None:
        np.save(tmp / DENSE_ROWS, np.asarray(dense_rows, dtype=np.int32))
    bm25.save(str(tmp / "bm25"))
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = {**manifest, "version": version,
                "files": {str(p.relative_to(tmp)): _sha256(p) for p in files}}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    for path in tmp.rglob("*"):
        os.chmod(path, FOLDER_MODE if path.is_dir() else FILE_MODE)


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether a failed write ran out of space (numpy and FAISS raise without an errno, so look too)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        return shutil.disk_usage(folder).free < (1 << 20)
    except OSError:
        return False


def disk_full(folder: Path) -> DiskFull:
    """The one error for a full disk, naming the folder."""
    return DiskFull("disk_full", f"no space left on the disk holding {folder}: nothing was changed and the "
                    "half-written files were removed; free some space and try again")


def set_current(root: Path, version: str) -> None:
    """Make `version` current with an atomic rename of a one-line pointer file."""
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".current-")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, root / CURRENT)
    except BaseException as exc:
        full = isinstance(exc, Exception) and is_disk_full(exc, root)
        Path(tmp).unlink(missing_ok=True)
        if full:
            raise disk_full(root) from exc
        raise


def current_version(root: Path) -> str | None:
    """The version CURRENT points at, or None when there is no index yet.

    Never raises on damaged bytes: they come back as text that names no version, and loading it
    then fails with a clear error (a watcher polling this every second must not die of it).
    """
    try:
        raw = (root / CURRENT).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexUnavailable("index_corrupt", f"{root / CURRENT} cannot be read ({exc.strerror}); {REPAIR}") from exc
    return raw.decode("utf-8", "replace").strip()[:200] or None


def list_versions(root: Path) -> list[str]:
    """Complete version folders, oldest first (names sort by build time)."""
    folder = root / VERSIONS
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune_versions(root: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` versions (never the current one) and stale partial builds."""
    current = current_version(root)
    removed = []
    for name in list_versions(root)[:-keep] if keep > 0 else []:
        if name != current:
            shutil.rmtree(root / VERSIONS / name, ignore_errors=True)
            removed.append(name)
    for partial in (root / VERSIONS).glob(".building-*"):
        shutil.rmtree(partial, ignore_errors=True)
    for pointer in root.glob(".current-*"):  # a pointer a killed build wrote but never renamed
        pointer.unlink(missing_ok=True)
    return removed


def rollback(root: Path) -> tuple[str | None, str]:
    """Make the newest intact version older than the current one current; returns (old, new)."""
    current = current_version(root)
    older = [v for v in list_versions(root) if current is None or v < current]
    for version in reversed(older):
        folder = root / VERSIONS / version
        try:
            verify_version(folder, read_manifest(folder))
        except IndexUnavailable:
            continue  # a damaged older version is skipped, never served
        set_current(root, version)
        return current, version
    raise IndexUnavailable("no_previous_version", f"no intact index version older than {current} in {root}; "
                           "run `libya-qa index --full` to build a new one")


def read_manifest(folder: Path) -> dict[str, Any]:
    """A version's manifest, or a clear error (also for valid JSON of the wrong shape)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable("index_corrupt", f"index {folder} has no readable manifest; {REPAIR}") from exc
    shaped = isinstance(manifest, dict)
    files, articles = (manifest.get("files", {}), manifest.get("articles", {})) if shaped else ("", "")
    if not (isinstance(files, dict) and all(isinstance(v, str) for v in files.values())
            and isinstance(articles, dict) and all(isinstance(v, dict) for v in articles.values())):
        raise IndexUnavailable("index_corrupt", f"index {folder} has a manifest of the wrong shape; {REPAIR}")
    return manifest


def read_articles(root: Path, version: str) -> list[Article]:
    """The articles stored in one kept version (checksum verified), e.g. to check an older quote."""
    folder = root / VERSIONS / _checked_name(root, version)
    expected = read_manifest(folder).get("files", {}).get("articles.jsonl")
    path = folder / "articles.jsonl"
    if not path.is_file() or _sha256(path) != expected:
        raise IndexUnavailable("index_corrupt", f"index file {path} is missing or damaged; {REPAIR}")
    return _read_jsonl(path)


def _read_jsonl(path: Path) -> list[Article]:
    """articles.jsonl as Articles: one per "\n" line (str.splitlines would also split at U+2028, U+0085 ...,
    which json.dumps(ensure_ascii=False) leaves raw inside a body)."""
    return [_article(json.loads(line)) for line in path.read_text("utf-8").split("\n") if line]


def _article(row: dict[str, Any]) -> Article:
    """One line of articles.jsonl as an Article."""
    return Article(Source(**row["source"]), row["body"], row.get("notes", ""))


def _checked_name(root: Path, version: str) -> str:
    """The version name, or a clear error when it could not be a folder of versions/ (a damaged CURRENT)."""
    if not VERSION_NAME.match(version):
        raise IndexUnavailable("index_corrupt", f"{root / CURRENT} names no index version ({version!r}); {REPAIR}")
    return version


def verify_version(folder: Path, manifest: dict[str, Any]) -> None:
    """Check every file against the manifest's checksums."""
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or _sha256(path) != expected:
            raise IndexUnavailable("index_corrupt", f"index file {path} is missing or damaged; {REPAIR}")


def _dense_matches(data: IndexData) -> bool:
    """Every passage has exactly one live vector in the dense index."""
    if data.dense_rows is None:
        return data.dense.ntotal == len(data.passages)
    live = data.dense_rows[data.dense_rows >= 0]
    return (len(data.dense_rows) == data.dense.ntotal and len(live) == len(data.passages)
            and np.array_equal(np.sort(live), np.arange(len(data.passages))))


def check_compatible(manifest: dict[str, Any], model: str, dimension: int) -> None:
    """Refuse an index built with another model or vector size."""
    if manifest.get("format") != FORMAT:
        raise IndexUnavailable("index_format", f"index format {manifest.get('format')} is not {FORMAT}; {REBUILD}")
    if manifest.get("model") != model or manifest.get("dimension") != dimension:
        raise IndexUnavailable(
            "index_model_mismatch",
            f"the index was built with model {manifest.get('model')!r} ({manifest.get('dimension')}-d) "
            f"but the configured model is {model!r} ({dimension}-d); {REBUILD}",
        )


def load_version(root: Path, version: str | None = None, verify: bool = True) -> IndexData:
    """Load (and by default verify) a version, the current one unless named."""
    import bm25s
    import faiss

    version = version or current_version(root)
    if not version:
        raise IndexUnavailable("index_missing", f"no index in {root}; run `libya-qa index` to build it")
    folder = root / VERSIONS / _checked_name(root, version)
    manifest = read_manifest(folder)
    if verify:
        verify_version(folder, manifest)
    try:
        articles = _read_jsonl(folder / "articles.jsonl")
        data = IndexData(
            version=version, manifest=manifest, articles=articles,
            sentences=np.load(folder / "sentences.npy"), passages=np.load(folder / "passages.npy"),
            sentence_vectors=np.load(folder / "sentence_vectors.npy"),
            passage_tokens=np.load(folder / "passage_tokens.npy"),
            token_offsets=np.load(folder / "token_offsets.npy"),
            dense=faiss.read_index(str(folder / "passages.faiss")),
            bm25=bm25s.BM25.load(str(folder / "bm25")),
            dense_rows=np.load(folder / DENSE_ROWS) if (folder / DENSE_ROWS).exists() else None,
        )
    except Exception as exc:  # unreadable parts are corruption whatever the library raised
        raise IndexUnavailable("index_corrupt", f"index {folder} cannot be read ({exc}); {REPAIR}") from exc
    if (not _dense_matches(data) or len(data.sentence_vectors) != len(data.sentences)
            or len(data.token_offsets) != len(data.passages) + 1):
        raise IndexUnavailable("index_corrupt", f"index {folder} tables disagree in size; {REPAIR}")
    return data
