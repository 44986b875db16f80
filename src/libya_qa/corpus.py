"""The corpus folder: one Markdown file per article, a YAML header of metadata, then the body."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

import yaml

from .errors import CorpusError
from .schema import UNKNOWN, Article, Source

HEADER_FIELDS = ("id", "title", "author", "publisher", "date", "url")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def parse_article(text: str, origin: str = "<text>") -> Article:
    """Parse one corpus file's text; the body is everything after the header, stripped."""
    match = FRONT_MATTER.match(text)
    if not match:
        raise CorpusError("bad_corpus_file", f"{origin}: no '---' YAML header at the top")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise CorpusError("bad_corpus_file", f"{origin}: YAML header does not parse: {exc}") from exc
    if not isinstance(meta, dict):
        raise CorpusError("bad_corpus_file", f"{origin}: YAML header is not a mapping")
    article_id = str(meta.get("id", "")).strip()
    if not ID_PATTERN.match(article_id):
        raise CorpusError("bad_corpus_file", f"{origin}: id {article_id!r} must be lowercase a-z, 0-9 and '-'")
    body = text[match.end():].strip()
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
        if path.name.lower() == "readme.md":
            continue
        article = parse_article(path.read_text(encoding="utf-8"), origin=str(path))
        if article.id in found:
            raise CorpusError("duplicate_id", f"{path}: id {article.id!r} is used by two corpus files")
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
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_article(article))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target
