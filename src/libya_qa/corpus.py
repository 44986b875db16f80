"""The corpus folder: one Markdown file per article, a YAML header of metadata, then the body."""

from __future__ import annotations

import contextlib
import datetime
import errno
import os
import re
import tempfile
from pathlib import Path

import yaml

from .errors import CorpusError, DiskFull
from .schema import UNKNOWN, Article, Source

HEADER_FIELDS = ("id", "title", "author", "publisher", "date", "url")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
# Header bounds: a YAML header is a few lines of citation, never a document of its own.
MAX_HEADER_CHARS = 64 * 1024
MAX_FIELD_CHARS = {"notes": 20_000}  # per field; the others below
MAX_OTHER_FIELD_CHARS = 2_000
MAX_LIST_ITEMS = 50
SCALARS = (str, int, float, bool, datetime.date)
FILE_MODE = 0o644  # readable by a server running as another user
TEMP_PREFIX = ".tmp-"


class _HeaderLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: seven levels of ten aliases make a 72 MB title from 533 bytes."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:  # type: ignore[override]
        """Refuse an alias (*name) before it is expanded."""
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a header", mark)
        return super().compose_node(parent, index)  # type: ignore[misc]


def load_header(block: str) -> dict[str, object]:
    """A YAML header as a mapping of scalars or lists of scalars of bounded length; ValueError says why not."""
    if len(block) > MAX_HEADER_CHARS:
        raise ValueError(f"the header has {len(block)} characters; the limit is {MAX_HEADER_CHARS}")
    try:
        meta = yaml.load(block, Loader=_HeaderLoader) or {}  # noqa: S506 (a safe loader, without aliases)
    except yaml.YAMLError as exc:
        raise ValueError(f"the YAML header does not parse: {exc}") from exc
    if not isinstance(meta, dict):
        raise ValueError("the YAML header is not a mapping of fields")
    for key, value in meta.items():
        _check_field(key, value)
    return meta


def _check_field(key: object, value: object) -> None:
    """One header field: text (or a list of texts) within its length limit."""
    items = value if isinstance(value, list) else [value]
    if not isinstance(key, str) or not all(v is None or isinstance(v, SCALARS) for v in items):
        raise ValueError(f"header field {key!r} must be text or a list of texts")
    limit = MAX_FIELD_CHARS.get(key, MAX_OTHER_FIELD_CHARS)
    if len(items) > MAX_LIST_ITEMS or sum(len(str(v)) for v in items) > limit:
        raise ValueError(f"header field {key!r} is too long (at most {limit} characters, {MAX_LIST_ITEMS} items)")


def parse_article(text: str, origin: str = "<text>") -> Article:
    """Parse one corpus file's text; the body is everything after the header, stripped."""
    match = FRONT_MATTER.match(text)
    if not match:
        raise CorpusError("bad_corpus_file", f"{origin}: no '---' YAML header at the top")
    try:
        meta = load_header(match.group(1))
    except ValueError as exc:
        raise CorpusError("bad_corpus_file", f"{origin}: {exc}") from exc
    article_id = str(meta.get("id", "")).strip()
    if not ID_PATTERN.match(article_id):
        raise CorpusError("bad_corpus_file", f"{origin}: id {article_id!r} must be lowercase a-z, 0-9 and '-'")
    body = text[match.end() :].strip()
    if not body:
        raise CorpusError("bad_corpus_file", f"{origin}: the article body is empty")
    values = {key: _field(meta.get(key)) for key in HEADER_FIELDS[1:]}
    return Article(source=Source(id=article_id, **values), body=body, notes=_field(meta.get("notes"), ""))


def _field(value: object, default: str = UNKNOWN) -> str:
    """A header value as text; lists (several authors) are joined, blanks become unknown."""
    if value is None:
        return default
    if isinstance(value, (list, tuple)):
        value = " and ".join(str(v) for v in value)
    text = str(value).strip()
    return text or default


def render_article(article: Article) -> str:
    """The file text for an article (inverse of parse_article)."""
    meta = article.source.to_dict()
    if article.notes:
        meta["notes"] = article.notes
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100).strip()
    return f"---\n{header}\n---\n\n{article.body}\n"


def corpus_files(corpus_dir: Path) -> dict[str, tuple[Path, Article]]:
    """Every article in the folder by id, with the file it lives in; duplicate ids are an error."""
    if not corpus_dir.is_dir():
        raise CorpusError("corpus_missing", f"corpus folder {corpus_dir} does not exist")
    found: dict[str, tuple[Path, Article]] = {}
    for path in sorted(corpus_dir.glob("*.md")):
        if path.name.lower() == "readme.md" or path.name.startswith("."):  # pathlib's glob matches dot-files
            continue
        article = parse_article(path.read_text(encoding="utf-8"), origin=str(path))
        if article.id in found:
            raise CorpusError(
                "duplicate_id",
                f"id {article.id!r} is used by two corpus files, {found[article.id][0]} "
                f"and {path}: change the id in one header, or delete the copy",
            )
        found[article.id] = (path, article)
    return found


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Every article in the folder, sorted by id."""
    found = corpus_files(corpus_dir)
    return [found[k][1] for k in sorted(found)]


def article_path(corpus_dir: Path, article_id: str) -> Path:
    """Where an article with this id lives."""
    return corpus_dir / f"{article_id}.md"


def write_article(corpus_dir: Path, article: Article, path: Path | None = None) -> Path:
    """Write an article file atomically (temp file, fsync, rename), so a crash never leaves half a file.

    `path` replaces an existing file in place (its name need not match the id); by default the
    file is named after the id.
    """
    corpus_dir.mkdir(parents=True, exist_ok=True)
    target = path or article_path(corpus_dir, article.id)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=".md")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_article(article))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(
                "disk_full",
                f"no space left on the disk holding {target.parent}: nothing was "
                "written; free some space and try again",
            ) from exc
        raise
    return target


def remove_stale_temp_files(corpus_dir: Path) -> list[Path]:
    """Delete temporary files left by a killed write (call under the corpus lock, so none is in use)."""
    stale = sorted(corpus_dir.glob(f"{TEMP_PREFIX}*.md"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
