"""Corpus operations: add (with the duplicate and replace rules), remove, list, and locked rebuilds."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .build import BuildReport, Stage, build_index, chunk_settings
from .chunking import make_passages, split_sentences
from .config import Settings
from .corpus import corpus_files, load_corpus, remove_stale_temp_files, write_article
from .encoders import Encoder
from .errors import BadQuestion, Conflict, CorpusError, IndexUnavailable, NotFound
from .ingest import METADATA_FIELDS, Extracted, Metadata, check_overrides
from .locks import exclusive
from .schema import UNKNOWN, Article
from .stores import open_store

NEXT_STEP = "run `libya-qa index` (or POST /index) to make the change searchable"


@dataclass(frozen=True)
class AddResult:
    """What adding one source did."""

    article: Article
    action: str  # "added" or "replaced"
    path: Path
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (no server paths)."""
        return {
            "id": self.article.id,
            "action": self.action,
            "title": self.article.source.title,
            "missing": list(self.missing),
            "indexed": False,
            "next": NEXT_STEP,
        }


@dataclass(frozen=True)
class SourceRow:
    """One line of `libya-qa sources`."""

    id: str
    title: str
    date: str
    passages: int
    status: str  # indexed, changed (index has an older text), not indexed, removed (still indexed)
    author: str = UNKNOWN
    publisher: str = UNKNOWN
    url: str = UNKNOWN

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "title": self.title,
            "author": self.author,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
            "passages": self.passages,
            "status": self.status,
            "indexed": self.status == "indexed",
        }


def text_key(body: str) -> str:
    """A body's text for duplicate detection: whitespace differences do not make a new article."""
    return " ".join(body.split())


def add_source(settings: Settings, extracted: Extracted, replace_existing: bool = False) -> AddResult:
    """Add an extracted article to the corpus, refusing duplicates; replace a changed version if asked."""
    corpus_dir = settings.corpus_dir
    corpus_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(corpus_dir, "another corpus change"):
        remove_stale_temp_files(corpus_dir)  # left by a killed add; no write is running under the lock
        existing = corpus_files(corpus_dir)
        article = _unique_id(extracted, existing)
        target = _target(article, existing)
        key = text_key(article.body)
        same_text = next((a for _, a in existing.values() if text_key(a.body) == key), None)
        if same_text is not None and not (
            replace_existing and target is same_text and same_text.source != article.source
        ):
            metadata_only = target is same_text and not replace_existing
            hint = "; to change its metadata add it with --replace" if metadata_only else ""
            raise Conflict(
                "duplicate_article",
                f"this text is already in the corpus as {same_text.id!r} "
                f"({existing[same_text.id][0].name}); nothing was written{hint}",
            )
        if target is None:
            path = write_article(corpus_dir, article)
            return AddResult(article, "added", path, extracted.missing)
        if not replace_existing:
            why = "id" if target.id == article.id else f"url {article.source.url}"
            raise Conflict(
                "article_exists",
                f"article {target.id!r} already exists with the same {why} and "
                "a different text; add it with --replace (replace=true) to replace it",
            )
        article = replace(article, source=replace(article.source, id=target.id))
        path = write_article(corpus_dir, article, existing[target.id][0])
        return AddResult(article, "replaced", path, extracted.missing)


def _unique_id(extracted: Extracted, existing: dict[str, tuple[Path, Article]]) -> Article:
    """A derived id that names another article (a different known url) gets a -2, -3 ... suffix."""
    article = extracted.article
    if extracted.explicit_id:
        return article
    base, n = article.id, 1
    while article.id in existing and _different_urls(existing[article.id][1], article):
        n += 1
        article = replace(article, source=replace(article.source, id=f"{base[:76]}-{n}"))
    return article


def _different_urls(a: Article, b: Article) -> bool:
    """Both articles have a url and the urls differ: they are not versions of one article."""
    return UNKNOWN not in (a.source.url, b.source.url) and a.source.url != b.source.url


def _target(article: Article, existing: dict[str, tuple[Path, Article]]) -> Article | None:
    """The existing article this one is a version of (same id or same url), if any."""
    by_id = existing.get(article.id, (None, None))[1]
    url = article.source.url
    by_url = next((a for _, a in existing.values() if url != UNKNOWN and a.source.url == url), None)
    if by_id is not None and by_url is not None and by_id is not by_url:
        raise Conflict(
            "ambiguous_article",
            f"id {article.id!r} and url {url} name two different articles "
            f"({by_id.id!r} and {by_url.id!r}); pass the id of the one to replace",
        )
    return by_id or by_url


def remove_source(settings: Settings, article_id: str) -> Path:
    """Delete an article's corpus file; the next index build drops it."""
    if not settings.corpus_dir.is_dir():  # the lock below would make the folder: say it is missing instead
        raise CorpusError("corpus_missing", f"corpus folder {settings.corpus_dir} does not exist")
    with exclusive(settings.corpus_dir, "another corpus change"):
        remove_stale_temp_files(settings.corpus_dir)
        existing = corpus_files(settings.corpus_dir)
        if article_id not in existing:
            raise NotFound(
                "unknown_source", f"no article {article_id!r} in {settings.corpus_dir}; `libya-qa sources` lists them"
            )
        path = existing[article_id][0]
        path.unlink()
        return path


def edit_metadata(settings: Settings, article_id: str, changes: dict[str, str]) -> Article:
    """Change an article's citation fields in its corpus file ("" means unknown); the body is never touched.

    The next build serves the new metadata without embedding anything (build.py keeps the vectors of
    an article whose body is unchanged).
    """
    unknown = set(changes) - set(METADATA_FIELDS)
    if unknown:
        raise BadQuestion(
            "unknown_field", f"{', '.join(sorted(unknown))}: not a metadata field ({', '.join(METADATA_FIELDS)})"
        )
    checked = check_overrides(Metadata(**changes))  # the same date and url rules as adding
    with exclusive(settings.corpus_dir, "another corpus change"):
        remove_stale_temp_files(settings.corpus_dir)
        existing = corpus_files(settings.corpus_dir)
        if article_id not in existing:
            raise NotFound("unknown_source", f"no article {article_id!r} in the corpus; GET /library lists them")
        path, article = existing[article_id]
        values = {k: getattr(checked, k) or UNKNOWN for k in changes}
        edited = replace(article, source=replace(article.source, **values))
        if edited != article:
            write_article(settings.corpus_dir, edited, path)
        return edited


def list_sources(settings: Settings) -> list[SourceRow]:
    """The corpus with passage counts and whether the current index serves each article as it is."""
    indexed = _indexed(settings)
    rows = []
    for article in load_corpus(settings.corpus_dir):
        entry = indexed.pop(article.id, None)
        if entry and entry.get("sha256") == article.sha256:
            rows.append(_row(article, int(entry.get("passages", 0)), "indexed"))
        else:
            rows.append(_row(article, _count_passages(article, settings), "changed" if entry else "not indexed"))
    for article_id, entry in sorted(indexed.items()):
        rows.append(SourceRow(article_id, UNKNOWN, UNKNOWN, int(entry.get("passages", 0)), "removed (still indexed)"))
    return rows


def serving_problem(settings: Settings) -> IndexUnavailable | None:
    """Why the current index could not be served (checked as serving checks it), or None.

    The listing reads only the manifest, so a damaged file would otherwise show every article as indexed.
    """
    store = open_store(settings)
    if store.current_version() is None:
        return None
    try:
        store.load(verify=True)
    except IndexUnavailable as exc:
        return exc
    return None


def _row(article: Article, passages: int, status: str) -> SourceRow:
    """A SourceRow for a corpus article."""
    s = article.source
    return SourceRow(article.id, s.title, s.date, passages, status, s.author, s.publisher, s.url)


def _indexed(settings: Settings) -> dict[str, dict[str, Any]]:
    """The current index's article table (id -> sha256, passages), empty when there is no index."""
    manifest = open_store(settings).manifest()
    if manifest is None:
        return {}
    if manifest.get("chunking") != chunk_settings(settings):
        return {}  # built with other passage settings: the next build redoes every article
    return dict(manifest.get("articles", {}))


def _count_passages(article: Article, settings: Settings) -> int:
    """How many passages an article will have once indexed (chunking only, no model)."""
    sentences = split_sentences(article.id, article.body)
    return len(
        make_passages(article.id, article.body, sentences, settings.passage_words, settings.passage_overlap_sentences)
    )


def build_lock(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """The lock that keeps index builds (CLI or server) one at a time per index folder."""
    return open_store(settings).lock()


def build_from_corpus(
    settings: Settings, encoder: Encoder, full: bool = False, progress: bool = False, on_stage: Stage | None = None
) -> BuildReport:
    """Build a new index version from the corpus as it is now (the caller holds build_lock)."""
    if on_stage:
        on_stage("reading the corpus", 0.0)
    return build_index(
        settings, encoder, load_corpus(settings.corpus_dir), full=full, progress=progress, on_stage=on_stage
    )


def rebuild(settings: Settings, encoder: Encoder, full: bool = False, progress: bool = False) -> BuildReport:
    """Build a new index version from the corpus, one build at a time per index folder."""
    with build_lock(settings):
        return build_from_corpus(settings, encoder, full=full, progress=progress)


def roll_back(settings: Settings) -> tuple[str | None, str]:
    """Make the previous index version current again (under the build lock)."""
    store = open_store(settings)
    if store.current_version() is None:  # nothing to roll back from; the lock would make an empty index folder
        raise IndexUnavailable(
            "no_previous_version",
            f"there is no index in {settings.index_dir} to roll back; run `libya-qa index` to build one",
            status=409,
        )
    with store.lock():
        return store.rollback()
