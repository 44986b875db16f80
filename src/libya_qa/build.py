"""Build an index version from the corpus, re-embedding only new or changed articles."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from . import __version__
from .analysis import ANALYSIS, tokenize_many
from .chunking import make_passages, split_sentences
from .config import Settings
from .encoders import Encoder
from .errors import IndexUnavailable
from .index import FORMAT
from .schema import Article
from .store import Snapshot, Store
from .stores import open_store
from .tables import Embedded, passage_rows, sentence_rows

SPLITTER = "regex-v9"  # bump when chunking changes so old vectors are not reused
REDONE = (
    "every article was embedded again: the current index was made with another model, other passage "
    "settings or another version of the keyword analyser"
)
DAMAGED = "every article was embedded again: the current index could not be read ({code}), so none of it was reused"
EMBED_SLICE = 1024  # sentences embedded per encoder call, so a build can report its progress
Stage = Callable[[str, float], None]  # what a build is doing, and how far along it is (percent)


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the CLI summary and the HTTP status."""

    version: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    articles: int
    passages: int
    sentences: int
    encoded_sentences: int
    encode_seconds: float
    seconds: float
    full: bool
    index_type: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    relabelled: tuple[str, ...] = ()  # only the metadata changed: vectors and passages kept, nothing embedded


def chunk_settings(settings: Settings) -> dict[str, Any]:
    """The settings that decide passages and their stored terms; vectors are reused only when these match."""
    return {
        "splitter": SPLITTER,
        "analysis": ANALYSIS,
        "passage_words": settings.passage_words,
        "overlap_sentences": settings.passage_overlap_sentences,
    }


def _reusable(store: Store, encoder: Encoder, settings: Settings) -> tuple[Snapshot | None, str]:
    """The current version if its vectors can be reused by this build, else None with the reason why not."""
    try:
        snapshot = store.load()
    except IndexUnavailable as exc:
        return None, DAMAGED.format(code=exc.code)
    manifest = snapshot.manifest
    same = (
        manifest.get("model") == encoder.name
        and manifest.get("dimension") == encoder.dimension
        and manifest.get("chunking") == chunk_settings(settings)
    )
    return (snapshot, "") if same else (None, REDONE)


def _chunk(article: Article, row: int, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Sentence and passage rows of one article (sentence rows count from the article's first)."""
    sentences = split_sentences(article.id, article.body)
    passages = make_passages(
        article.id, article.body, sentences, settings.passage_words, settings.passage_overlap_sentences
    )
    return (
        sentence_rows([(row, s.start, s.end) for s in sentences]),
        passage_rows([(row, p.start, p.end, p.first_sentence, p.last_sentence) for p in passages]),
    )


def embed_articles(
    articles: list[tuple[int, Article]],
    settings: Settings,
    encoder: Encoder,
    progress: bool = False,
    on_share: Callable[[float], None] | None = None,
) -> Embedded:
    """Split, tokenise and embed new or changed articles (all sentences in one encoder call)."""
    sentence_parts, passage_parts, first = [], [], 0
    for row, article in articles:
        sentences, passages = _chunk(article, row, settings)
        passages["first"] += first
        passages["last"] += first
        first += len(sentences)
        sentence_parts.append(sentences)
        passage_parts.append(passages)
    sentences = np.concatenate(sentence_parts) if sentence_parts else sentence_rows([])
    passages = np.concatenate(passage_parts) if passage_parts else passage_rows([])
    bodies = {row: article.body for row, article in articles}
    vectors = _encode(encoder, [bodies[a][s:e] for a, s, e in sentences.tolist()], progress, on_share)
    terms = tokenize_many([bodies[a][s:e] for a, s, e, _, _ in passages.tolist()])
    # Kept as the stored float16 from here on: fresh and incremental builds give identical vectors.
    vectors = vectors.reshape(len(sentences), encoder.dimension).astype(np.float16)
    return Embedded(sentences, passages, vectors, terms)


def _encode(encoder: Encoder, texts: list[str], progress: bool, on_share: Callable[[float], None] | None) -> np.ndarray:
    """Embed the texts in slices, reporting the share done. The slices are cut from the texts sorted by length, as
    the encoder sorts one call's texts: slices in document order each mix short and long sentences, and padding
    every batch to its longest cost 8% of a large build's embedding time (bench/build_throughput.py)."""
    if on_share is None or len(texts) <= EMBED_SLICE:
        return encoder.encode(texts, progress=progress)
    order = sorted(range(len(texts)), key=lambda n: len(texts[n]))
    parts = []
    for first in range(0, len(texts), EMBED_SLICE):
        chosen = order[first : first + EMBED_SLICE]
        parts.append(encoder.encode([texts[n] for n in chosen], progress=progress))
        on_share(min(first + EMBED_SLICE, len(texts)) / len(texts))
    vectors = np.concatenate(parts)
    restored = np.empty_like(vectors)
    restored[np.asarray(order)] = vectors  # back to the texts' own order
    return restored


def _manifest(settings: Settings, encoder: Encoder) -> dict[str, Any]:
    """What a version records about how it was built (the store adds counts, articles and its own parts)."""
    now = datetime.now(UTC)
    return {
        "format": FORMAT,
        "package_version": __version__,
        "created": now.isoformat(),
        "version": now.strftime("%Y%m%dT%H%M%S%fZ"),
        "model": encoder.name,
        "dimension": encoder.dimension,
        "chunking": chunk_settings(settings),
    }


def _sort_out(
    articles: list[Article], previous: Snapshot | None
) -> tuple[dict[int, int], list[tuple[int, Article]], list[str]]:
    """Kept (old key -> new row: same body), changed (row, article) to embed, and ids whose metadata alone changed."""
    old = {e.source.id: (e.key, e.sha256) for e in previous.catalogue()} if previous else {}
    kept: dict[int, int] = {}
    changed: list[tuple[int, Article]] = []
    relabelled: list[str] = []
    for row, article in enumerate(articles):
        old_key, sha = old.get(article.id, (-1, ""))
        if sha == article.sha256:
            kept[old_key] = row
        elif sha and _same_body(previous, article):  # a metadata edit: the vectors still hold
            kept[old_key] = row
            relabelled.append(article.id)
        else:
            changed.append((row, article))
    return kept, changed, relabelled


def _same_body(previous: Snapshot | None, article: Article) -> bool:
    """True when the previous version stored this article with the same body."""
    stored = previous.article_by_id(article.id) if previous is not None else None
    return stored is not None and stored.body_sha256 == article.body_sha256


def build_index(
    settings: Settings,
    encoder: Encoder,
    articles: list[Article],
    full: bool = False,
    progress: bool = False,
    on_stage: Stage | None = None,
    store: Store | None = None,
) -> BuildReport:
    """Build a new version beside the current one and make it current only when complete."""
    stage = on_stage or (lambda _, __: None)
    started = time.perf_counter()
    store = store or open_store(settings)
    stage("loading the current index to reuse its vectors" if not full else "starting a full rebuild", 5.0)
    previous, why_not = (None, "") if full else _reusable(store, encoder, settings)
    current = previous.manifest if previous else store.manifest()  # what is indexed now, reusable or not
    old = set((current or {}).get("articles", {}))  # so a rebuild reports updated and removed articles truly
    notes = (why_not,) if store.current_version() is not None and previous is None and why_not else ()
    kept, changed, relabelled = _sort_out(articles, previous)
    encode_started = time.perf_counter()
    what = f"embedding {len(changed)} new or changed articles"
    stage(what, 10.0)
    fresh = embed_articles(changed, settings, encoder, progress, lambda share: stage(what, 10.0 + 80.0 * share))
    encode_seconds = time.perf_counter() - encode_started
    stage("building the searchers and saving the new version", 90.0)
    version, kind = store.write_version(articles, fresh, previous, _manifest(settings, encoder), kept)
    counts = (store.manifest(version) or {}).get("counts", {})
    encoded_ids = [a.id for _, a in changed]
    return BuildReport(
        version=version,
        added=tuple(i for i in encoded_ids if i not in old),
        updated=tuple(i for i in encoded_ids if i in old),
        removed=tuple(sorted(set(old) - {a.id for a in articles})),
        unchanged=len(articles) - len(changed),
        articles=len(articles),
        passages=int(counts.get("passages", 0)),
        sentences=int(counts.get("sentences", 0)),
        encoded_sentences=len(fresh.sentences),
        encode_seconds=encode_seconds,
        seconds=time.perf_counter() - started,
        full=full,
        index_type=kind,
        relabelled=tuple(relabelled),
        notes=notes,
    )
