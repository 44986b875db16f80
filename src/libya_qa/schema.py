"""Typed data objects that cross module boundaries, each carrying its provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

UNKNOWN = "unknown"

Status = Literal["answered", "not_found"]
NOT_FOUND_MESSAGE = (
    "Not found in the corpus: no article answers this clearly. Any excerpts are the nearest passages, not an answer."
)


def known(value: str, fallback: str) -> str:
    """The metadata value, or the fallback wording when it is unknown."""
    return fallback if not value or value == UNKNOWN else value


@dataclass(frozen=True)
class Source:
    """The citation of an article: what a reader needs to find it again."""

    id: str
    title: str = UNKNOWN
    author: str = UNKNOWN
    publisher: str = UNKNOWN
    date: str = UNKNOWN
    url: str = UNKNOWN

    def to_dict(self) -> dict[str, str]:
        """Plain JSON-ready form (explicit: dataclasses.asdict deep-copies and is 20x slower)."""
        return {
            "id": self.id,
            "title": self.title,
            "author": self.author,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
        }


@dataclass(frozen=True)
class Article:
    """One article of the corpus: its citation, its body (the text quotes come from) and notes."""

    source: Source
    body: str
    notes: str = ""

    @property
    def id(self) -> str:
        """The article's stable id (used in URLs and citations)."""
        return self.source.id

    @cached_property  # frozen, so the hash never goes stale; builds ask for it per article, often
    def sha256(self) -> str:
        """Content hash of the body and citation; changes whenever the indexed text could."""
        payload = "\x1f".join([*self.source.to_dict().values(), self.body])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @cached_property
    def body_sha256(self) -> str:
        """Hash of the body alone: everything an index embeds; a metadata edit leaves it unchanged."""
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Span:
    """A character range [start, end) in an article body."""

    article_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence(Span):
    """A sentence of an article body, by offsets."""

    ordinal: int = 0


@dataclass(frozen=True)
class Passage(Span):
    """A retrieval unit: consecutive sentences of one article, by offsets and sentence ordinals."""

    first_sentence: int = 0
    last_sentence: int = 0  # inclusive


@dataclass(frozen=True)
class Filters:
    """Which articles a question may be answered from: fields combine with AND, values within one with OR."""

    sources: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    date_from: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD; compared at the coarser of the two precisions
    date_to: str = ""

    def active(self) -> bool:
        """True when any field restricts the articles."""
        return bool(self.sources or self.publishers or self.authors or self.date_from or self.date_to)


@dataclass(frozen=True)
class Excerpt:
    """A verbatim quote: body[start:end] == quote, with the answering words at quote[h0:h1] per highlight."""

    quote: str
    highlight: tuple[int, int]  # the main answering span
    score: float
    start: int
    end: int
    source: Source
    highlights: tuple[tuple[int, int], ...] = ()  # every answering span (names, numbers, dates or sentences)
    confidence: float = 0.0  # the probability that this quote answers on its own (same model as the answer's)
    related: bool = False  # shares the question's topic but does not bear on it on its own (listed apart)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready form (the /ask wire format)."""
        return {
            "quote": self.quote,
            "highlight": list(self.highlight),
            "highlights": [list(h) for h in self.highlights or (self.highlight,)],
            "score": round(self.score, 4),
            "confidence": round(self.confidence, 4),
            "related": self.related,
            "start": self.start,
            "end": self.end,
            "source": self.source.to_dict(),
        }


@dataclass(frozen=True)
class AnswerSpan:
    """A short verbatim answer: body[start:end] == text in the article source_id."""

    text: str
    source_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready form."""
        return {"text": self.text, "source_id": self.source_id, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class FilterReport:
    """How a question's filters narrowed the corpus: articles kept, and those left out only for an unknown date."""

    articles: int
    undated_left_out: int

    def to_dict(self) -> dict[str, int]:
        """Plain JSON-ready form."""
        return {"articles": self.articles, "undated_left_out": self.undated_left_out}


@dataclass(frozen=True)
class SourceGroup:
    """What one source says about a question: its best excerpts (each bears on the question)."""

    source: Source
    excerpts: tuple[Excerpt, ...]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready form."""
        return {"source": self.source.to_dict(), "excerpts": [e.to_dict() for e in self.excerpts]}


@dataclass(frozen=True)
class Answer:
    """The result of one question: answered with excerpts, or not_found with the nearest passages."""

    question: str
    status: Status
    excerpts: tuple[Excerpt, ...]
    took_ms: float
    search_query: str = ""  # the question as retrieval saw it (follow-ups blend in history)
    index_version: str = ""
    confidence: float = 0.0  # the probability that the first excerpt answers (calibrated on the dev half)
    short_answer: tuple[AnswerSpan, ...] = ()  # the answer at a glance, verbatim; empty when nothing short answers
    message: str = ""  # why not_found, when the reason is known (a period no source covers, an unknown name)
    filtered: FilterReport | None = None  # set when filters narrowed the corpus
    groups: tuple[SourceGroup, ...] | None = None  # "what each source says", when asked for

    def lists_as_related(self, excerpt: Excerpt) -> bool:
        """True when the page and the CLI list this excerpt under "Related passages" (render.js mirrors it).

        Only in an answer: every passage of a not_found answer is shown as "nearest" already.
        """
        return self.status == "answered" and excerpt.related

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready form (the /ask wire format)."""
        return {
            "question": self.question,
            "status": self.status,
            "short_answer": [s.to_dict() for s in self.short_answer],
            "excerpts": [e.to_dict() for e in self.excerpts],
            "message": (self.message or NOT_FOUND_MESSAGE) if self.status == "not_found" else "",
            "confidence": round(self.confidence, 4),
            "took_ms": round(self.took_ms, 2),
            "search_query": self.search_query,
            "index_version": self.index_version,
            "filtered": self.filtered.to_dict() if self.filtered else None,
            "groups": None if self.groups is None else [g.to_dict() for g in self.groups],
        }
