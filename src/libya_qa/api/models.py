"""Pydantic models of every request and response body: they validate, and they document the OpenAPI schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..by_source import BEARS_PROBABILITY
from ..excerpts import MAX_JOINED_WORDS, MAX_SENTENCES
from ..schema import Filters

MAX_HISTORY_ITEMS = 20  # earlier questions accepted in one request (the last settings.max_history are used)
MAX_TEXT_CHARS = 2_000  # one question or earlier question as sent, before spaces are collapsed
MAX_FILTER_VALUES = 200  # values in one filter field
MAX_NAME_CHARS = 300  # one source id, publisher or author in a filter

ERROR_DESCRIPTIONS = {
    400: "Bad input (a malformed body, bad metadata, an unreadable upload)",
    401: "Missing or wrong admin token",
    403: "Admin endpoints are off (no LIBYA_QA_ADMIN_TOKEN)",
    404: "Unknown source, version or route",
    405: "Method not allowed (the Allow header lists the allowed ones)",
    408: "The request body did not arrive in time",
    409: "Conflict: a duplicate article or a build already running",
    410: "The index version asked for is no longer kept",
    413: "The request body is over this route's limit",
    415: "Unsupported media type",
    422: "Invalid request: wrong types, empty or too long question, values out of range",
    500: "Unexpected server error (logged with the request id)",
    502: "The address to fetch did not answer, or answered with an error",
    503: "At capacity (Retry-After says when to try again) or no usable index",
    507: "The disk is full; nothing was written",
}


class Strict(BaseModel):
    """A request body: unknown fields are refused, types are not coerced (no "5" or 5.0 for 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorDetail(BaseModel):
    """What went wrong: a stable machine code and a message that says what to do."""

    code: str = Field(examples=["empty_question"])
    message: str = Field(examples=["the question is empty: type a question about Libya"])


class ErrorBody(BaseModel):
    """The one error shape of every 4xx and 5xx response."""

    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses (and the catch-all 500), all in the one error shape."""
    # The content is named: a route answering text (a citation) still answers its errors in JSON.
    return {
        status: {
            "model": ErrorBody,
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        for status in sorted({*statuses, 500})
    }


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]


Name = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
PartialDate = Annotated[str, StringConstraints(max_length=10)]


class FiltersIn(Strict):
    """Which articles may answer: the fields combine with AND, the values inside one field with OR."""

    sources: list[Name] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Article ids (GET /sources); an unknown id is refused (422 unknown_source).",
    )
    publishers: list[Name] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="Publishers, matched whole, ignoring case."
    )
    authors: list[Name] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Authors, each matched against every name of an article's author field.",
    )
    date_from: PartialDate = Field(
        "",
        description="YYYY, YYYY-MM or YYYY-MM-DD, compared at the coarser precision; "
        "an article of unknown date is left out by any date filter.",
    )
    date_to: PartialDate = Field("", description='As date_from; the range is inclusive ("2015" ends with 2015-12-31).')

    def to_filters(self) -> Filters:
        """The answering layer's Filters."""
        return Filters(
            tuple(self.sources),
            tuple(self.publishers),
            tuple(self.authors),
            self.date_from.strip(),
            self.date_to.strip(),
        )


class AskRequest(Strict):
    """Body of POST /ask."""

    # The limits are checked by QA (empty_question, question_too_long); the schema states them for clients.
    question: str = Field(
        description="The question, 1 to 500 characters once spaces are collapsed.",
        json_schema_extra={"minLength": 1, "maxLength": 500, "pattern": r"\S"},
    )
    top_k: int = Field(5, ge=1, le=20, description="How many excerpts at most.")
    history: list[Text] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_ITEMS,
        description="Earlier questions of the conversation, oldest first (the last 6 are used).",
    )
    filters: FiltersIn | None = Field(
        None,
        description="Answer only from these articles (applied before ranking). "
        "Unknown fields are refused (422 unknown_filter), as are malformed dates "
        "(bad_date) and date_from after date_to (bad_date_range).",
    )
    group: Literal["source"] | None = Field(
        None,
        description='"source" adds `groups`: what each source that bears on the question says, ordered by source date.',
    )


class SourceOut(BaseModel):
    """The citation of an article ("unknown" where a field is not known)."""

    id: str
    title: str
    author: str
    publisher: str
    date: str
    url: str


class ExcerptOut(BaseModel):
    """A verbatim quote: the article body at [start, end) of the answer's index_version, highlight within it."""

    quote: str = Field(
        description=f"The article's own words, up to {MAX_SENTENCES} sentences; two such quotes of "
        f"one article that meet are one passage of up to {MAX_JOINED_WORDS} words, whose joined part "
        "is context and never highlighted"
    )
    highlight: list[int] = Field(
        min_length=2, max_length=2, description="[start, end) of the main answering span in quote"
    )
    highlights: list[list[int]] = Field(
        description="Every answering span in quote, [start, end) each: the names, "
        "numbers or dates asked for, or the answering sentences; a quote after the "
        "first marks only those near the question's own words, else its best sentence"
    )
    score: float = Field(description="The ranking score (for ordering; its scale is the ranker's own)")
    confidence: float = Field(
        description="The probability that this quote answers on its own, calibrated like the answer's confidence"
    )
    related: bool = Field(
        False,
        description="True when this quote shares the question's topic but does not bear "
        f"on it on its own: its confidence is below min({BEARS_PROBABILITY}, the answer threshold), "
        "the bar a source clears in `groups`. Never true for the first excerpt of an answered "
        'answer, nor in `groups`; the web page lists these under "Related passages"',
    )
    start: int
    end: int
    source: SourceOut


class AnswerSpanOut(BaseModel):
    """A short verbatim answer: the body of article source_id at [start, end) is text."""

    text: str
    source_id: str
    start: int
    end: int


class FilteredOut(BaseModel):
    """How the filters narrowed the corpus."""

    articles: int = Field(description="Articles the filters kept.")
    undated_left_out: int = Field(description="Articles a date filter left out only because their date is unknown.")


class GroupOut(BaseModel):
    """What one source says: its best one or two excerpts."""

    source: SourceOut
    excerpts: list[ExcerptOut]


class AnswerOut(BaseModel):
    """The answer to one question."""

    question: str
    status: Literal["answered", "not_found"]
    short_answer: list[AnswerSpanOut] = Field(
        description="The answer at a glance, verbatim spans of the first "
        "excerpt's article; empty when nothing short answers"
    )
    excerpts: list[ExcerptOut]
    message: str = Field(description="Says what not_found means; empty when answered.")
    confidence: float
    took_ms: float
    search_query: str
    index_version: str = Field(description="The index version the quotes come from: GET /sources/{id}?version=")
    filtered: FilteredOut | None = Field(None, description="Set when filters were sent.")
    groups: list[GroupOut] | None = Field(
        None,
        description='With group="source": every source that bears on the '
        "question (best one or two excerpts each), oldest first; undated last.",
    )


class SourceListItem(SourceOut):
    """An indexed article with its passage count."""

    passages: int


class SourceList(BaseModel):
    """GET /sources."""

    sources: list[SourceListItem]
    count: int


class SourceDetail(SourceListItem):
    """One article as stored in one index version: the body quotes are cut from."""

    notes: str
    sha256: str
    body: str
    version: str = Field(description="The index version this text comes from.")
    changed_since: bool = Field(description="True when the current version's text of this article differs.")


class WatcherOut(BaseModel):
    """The task that swaps in new index versions."""

    state: Literal["running", "failing", "stopped"]
    last_poll: str | None = Field(description="When it last looked for a new version (UTC).")
    error: str | None


class HealthOut(BaseModel):
    """GET /healthz: the version served, and whether new versions are picked up."""

    status: Literal["ok", "degraded"]
    version: str
    index_version: str
    articles: int
    passages: int
    model: str | None
    reload_error: str | None
    watcher: WatcherOut


class AddedOut(BaseModel):
    """POST /sources: what adding the article did."""

    id: str
    action: Literal["added", "replaced"]
    title: str
    missing: list[str]
    indexed: bool
    next: str


class RemovedOut(BaseModel):
    """DELETE /sources/{id}."""

    id: str
    removed: bool
    next: str


class AddText(Strict):
    """JSON body of POST /sources: the article text (Markdown, optional YAML header) or a page to fetch; metadata."""

    text: str | None = Field(
        None,
        description="The article text; or send `fetch` instead.",
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    fetch: str | None = Field(
        None,
        max_length=2_000,
        description="An http(s) address of a page or PDF to fetch (20 s timeout) instead of `text`.",
    )
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    id: str | None = None
    replace: bool = False


MetaValue = Annotated[str, StringConstraints(max_length=2_000)]


class MetadataPatch(Strict):
    """PATCH /sources/{id}: the citation fields to change; "" makes one unknown. The body and id never change."""

    title: MetaValue | None = None
    author: MetaValue | None = None
    publisher: MetaValue | None = None
    date: MetaValue | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD")
    url: MetaValue | None = Field(None, description="http:// or https://")


class EditedOut(BaseModel):
    """PATCH /sources/{id}: the article's citation as the corpus now holds it."""

    source: SourceOut
    indexed: bool = Field(description="False: the next build serves the change (without embedding anything).")
    next: str


class PreviewOut(BaseModel):
    """POST /sources/preview: what adding this source would write, without writing it."""

    source: SourceOut = Field(description="The extracted citation, with the id it would get.")
    missing: list[str] = Field(description="Citation fields nothing was found for (written as unknown).")
    kind: str = Field(description="How it was read: text, markdown, html or pdf.")
    words: int
    excerpt: str = Field(description="The start of the extracted body.")


class LibraryRow(SourceOut):
    """One corpus article (or one still indexed after its file was removed)."""

    passages: int
    status: str = Field(
        description="indexed, changed (the index holds an older text or citation), not indexed, "
        "or removed (still indexed)"
    )
    indexed: bool


class LibraryOut(BaseModel):
    """GET /library."""

    sources: list[LibraryRow]
    count: int = Field(description="Articles in the corpus (rows still indexed after removal not counted).")
    editable: bool = Field(description="True when an admin token is configured (the page can add, edit and remove).")


class RollbackOut(BaseModel):
    """POST /index/rollback."""

    previous: str | None = Field(description="The version served before.")
    current: str = Field(description="The version served now.")


class BuildReportOut(BaseModel):
    """What a finished build did."""

    version: str
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: int
    articles: int
    passages: int
    sentences: int
    encoded_sentences: int
    encode_seconds: float
    seconds: float
    full: bool
    index_type: str
    notes: list[str]
    relabelled: list[str] = Field(description="Articles whose metadata alone changed: nothing was embedded for them.")


class BuildStatusOut(BaseModel):
    """GET /index and POST /index: the background build, the current and kept versions."""

    state: Literal["idle", "running", "done", "failed"]
    stage: str
    percent: float | None = Field(description="How far the build is, 0-100 (100 once done).")
    full: bool | None
    started: str | None
    finished: str | None
    report: BuildReportOut | None
    error: ErrorDetail | None
    notes: list[str]
    current_version: str | None
    versions: list[str]
    serving_version: str
