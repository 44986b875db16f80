"""Index versions on disk: self-describing folders, a CURRENT pointer, checksums, pruning and rollback."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import DiskFull, IndexUnavailable
from .schema import Article, Source

FORMAT = 3  # 2: passage token ids stored for incremental builds; 3: named (structured) row tables
CURRENT = "CURRENT"
VERSIONS = "versions"
REBUILD = "run `libya-qa index --full` to rebuild it"
REPAIR = f"{REBUILD} (or `libya-qa index --rollback` to serve the previous version)"
VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # never a path: no '/', no leading '.'
FILE_MODE, FOLDER_MODE = 0o644, 0o755  # readable by a server running as another user


def _sha256(path: Path) -> str:
    """Hash a file in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_version_folder(
    root: Path, version: str, manifest: dict[str, Any], write_files: Callable[[Path], None]
) -> Path:
    """Write a version's files under a temporary name, checksum them in its manifest, rename into place.

    On any failure the temporary folder is removed; a full disk becomes one DiskFull error.
    """
    versions = root / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=versions, prefix=f".building-{version}-"))
    try:
        os.chmod(tmp, FOLDER_MODE)
        write_files(tmp)
        _write_manifest(tmp, version, manifest)
        final = versions / version
        os.replace(tmp, final)
    except BaseException as exc:
        full = isinstance(exc, Exception) and is_disk_full(exc, versions)  # before the space is freed
        shutil.rmtree(tmp, ignore_errors=True)
        if full:
            raise disk_full(versions) from exc
        raise
    return final


def _write_manifest(tmp: Path, version: str, manifest: dict[str, Any]) -> None:
    """The manifest with every file's checksum, then modes a server running as another user can read."""
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = {**manifest, "version": version, "files": {str(p.relative_to(tmp)): _sha256(p) for p in files}}
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
    return DiskFull(
        "disk_full",
        f"no space left on the disk holding {folder}: nothing was changed and the "
        "half-written files were removed; free some space and try again",
    )


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
    """Delete all but the newest `keep` versions and stale partial builds; never the current version, nor
    (keep > 1) the newest intact one before it, what `index --rollback` returns to, however many are damaged."""
    current = current_version(root)
    fallback = rollback_target(root, current) if keep > 1 else None  # keep=1 asks for no way back
    removed = []
    for name in list_versions(root)[:-keep] if keep > 0 else []:
        if name not in (current, fallback):
            shutil.rmtree(root / VERSIONS / name, ignore_errors=True)
            removed.append(name)
    for partial in (root / VERSIONS).glob(".building-*"):
        shutil.rmtree(partial, ignore_errors=True)
    for pointer in root.glob(".current-*"):  # a pointer a killed build wrote but never renamed
        pointer.unlink(missing_ok=True)
    return removed


def rollback_target(root: Path, current: str | None) -> str | None:
    """The newest intact version older than the current one (a damaged one is skipped, never served)."""
    for version in reversed([v for v in list_versions(root) if current is None or v < current]):
        folder = root / VERSIONS / version
        try:
            verify_version(folder, read_manifest(folder))
        except IndexUnavailable:
            continue
        return version
    return None


def rollback(root: Path) -> tuple[str | None, str]:
    """Make the newest intact version older than the current one current; returns (old, new)."""
    current = current_version(root)
    version = rollback_target(root, current)
    if version is None:
        since = f"older than {current} " if current else ""
        raise IndexUnavailable(
            "no_previous_version",
            f"no intact index version {since}in {root}; run `libya-qa index --full` to build a new one",
            status=409,
        )  # the request's fault
    set_current(root, version)
    return current, version


def read_manifest(folder: Path) -> dict[str, Any]:
    """A version's manifest, or a clear error (also for valid JSON of the wrong shape)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable("index_corrupt", f"index {folder} has no readable manifest; {REPAIR}") from exc
    shaped = isinstance(manifest, dict)
    files, articles = (manifest.get("files", {}), manifest.get("articles", {})) if shaped else ("", "")
    if not (
        isinstance(files, dict)
        and all(isinstance(v, str) for v in files.values())
        and isinstance(articles, dict)
        and all(isinstance(v, dict) for v in articles.values())
        and all(type(v.get("passages", 0)) is int for v in articles.values())
    ):
        raise IndexUnavailable("index_corrupt", f"index {folder} has a manifest of the wrong shape; {REPAIR}")
    return manifest


def read_articles(root: Path, version: str) -> list[Article]:
    """The articles stored in one kept version (checksum verified), e.g. to check an older quote."""
    folder = root / VERSIONS / checked_name(root, version)
    expected = read_manifest(folder).get("files", {}).get("articles.jsonl")
    path = folder / "articles.jsonl"
    if not path.is_file() or _sha256(path) != expected:
        raise IndexUnavailable("index_corrupt", f"index file {path} is missing or damaged; {REPAIR}")
    return parse_articles(path)


def parse_articles(path: Path) -> list[Article]:
    """articles.jsonl as Articles: one per "\n" line (str.splitlines would also split at U+2028, U+0085 ...,
    which json.dumps(ensure_ascii=False) leaves raw inside a body)."""
    articles = []
    for line in path.read_text("utf-8").split("\n"):
        if line:
            row = json.loads(line)
            articles.append(Article(Source(**row["source"]), row["body"], row.get("notes", "")))
    return articles


def checked_name(root: Path, version: str) -> str:
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


def check_compatible(manifest: dict[str, Any], model: str, dimension: int) -> None:
    """Refuse an index built with another model or vector size."""
    if manifest.get("format") != FORMAT:
        raise IndexUnavailable("index_format", f"index format {manifest.get('format')!r} is not {FORMAT}; {REBUILD}")
    if manifest.get("model") != model or manifest.get("dimension") != dimension:
        raise IndexUnavailable(
            "index_model_mismatch",
            f"the index was built with model {manifest.get('model')!r} ({manifest.get('dimension')}-d) "
            f"but the configured model is {model!r} ({dimension}-d); {REBUILD}",
        )
