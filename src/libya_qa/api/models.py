"""Pydantic models of every request and response body: they validate, and they document the OpenAPI schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_HISTORY_ITEMS = 20  # earlier questions accepted in one request (the last settings.max_history are used)
MAX_TEXT_CHARS = 2_000  # one question or earlier question as sent, before spaces are collapsed

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
    return {status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
            for status in sorted({*statuses, 500})}


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]


class AskRequest(Strict):
    """Body of POST /ask."""

    # The limits are checked by QA (empty_question, question_too_long); the schema states them for clients.
    question: str = Field(description="The question, 1 to 500 characters once spaces are collapsed.",
                          json_schema_extra={"minLength": 1, "maxLength": 500, "pattern": r"\S"})
    top_k: int = Field(5, ge=1, le=20, description="How many excerpts at most.")
    history: list[Text] = Field(default_factory=list, max_length=MAX_HISTORY_ITEMS,
                                description="Earlier questions, oldest first (the last 6 are used).")


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

    quote: str
    highlight: list[int] = Field(min_length=2, max_length=2, description="[start, end) of the answering words in quote")
    score: float
    start: int
    end: int
    source: SourceOut


class AnswerOut(BaseModel):
    """The answer to one question."""

    question: str
    status: Literal["answered", "not_found"]
    excerpts: list[ExcerptOut]
    message: str = Field(description="Says what not_found means; empty when answered.")
    confidence: float
    took_ms: float
    search_query: str
    index_version: str = Field(description="The index version the quotes come from: GET /sources/{id}?version=")


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
    """JSON body of POST /sources: the article text (Markdown, optional YAML header) and metadata."""

    text: str = Field(json_schema_extra={"minLength": 1, "pattern": r"\S"})
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    id: str | None = None
    replace: bool = False


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


class BuildStatusOut(BaseModel):
    """GET /index and POST /index: the background build, the current and kept versions."""

    state: Literal["idle", "running", "done", "failed"]
    stage: str
    full: bool | None
    started: str | None
    finished: str | None
    report: BuildReportOut | None
    error: ErrorDetail | None
    notes: list[str]
    current_version: str | None
    versions: list[str]
    serving_version: str
