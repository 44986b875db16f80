"""Index versions on disk: self-describing folders, a CURRENT pointer, checksums, pruning and rollback."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import IndexUnavailable

FORMAT = 3  # 2: passage token ids stored for incremental builds; 3: named (structured) row tables
CURRENT = "CURRENT"
VERSIONS = "versions"
REBUILD = "run `libya-qa index --full` to rebuild it"
REPAIR = f"{REBUILD} (or `libya-qa index --rollback` to serve the previous version)"


def _sha256(path: Path) -> str:
    """Hash a file in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_version_folder(root: Path, version: str, manifest: dict[str, Any],
                         write_files: Callable[[Path], None]) -> Path:
    """Write a version's files under a temporary name, checksum them in its manifest, rename into place."""
    versions = root / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=versions, prefix=f".building-{version}-"))
    write_files(tmp)
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = {**manifest, "version": version, "files": {str(p.relative_to(tmp)): _sha256(p) for p in files}}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    final = versions / version
    os.replace(tmp, final)
    return final


def set_current(root: Path, version: str) -> None:
    """Make `version` current with an atomic rename of a one-line pointer file."""
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".current-")
    with os.fdopen(fd, "w") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT)


def current_version(root: Path) -> str | None:
    """The version CURRENT points at, or None when there is no index yet."""
    pointer = root / CURRENT
    return pointer.read_text().strip() or None if pointer.exists() else None


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
    """A version's manifest, or a clear error."""
    try:
        return json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable("index_corrupt", f"index {folder} has no readable manifest; {REPAIR}") from exc


def verify_version(folder: Path, manifest: dict[str, Any]) -> None:
    """Check every file against the manifest's checksums."""
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or _sha256(path) != expected:
            raise IndexUnavailable("index_corrupt", f"index file {path} is missing or damaged; {REPAIR}")


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
