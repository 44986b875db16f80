"""The HTML side: the chat page and the source viewer, rendered with Jinja2 from web/templates.

The routes that serve them are in api/pages.py and api/sources.py; this module renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .config import Settings
from .errors import QAError
from .qa import QA, clean_history
from .schema import Answer, Article, Excerpt, Filters, Source, known

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

STRENGTH_MARGIN = 0.2  # a probability below the threshold by less than this is "moderate"
CITE_STYLES = (("apa", "APA"), ("mla", "MLA"), ("chicago", "Chicago"), ("bibtex", "BibTeX"))

# Questions offered on the empty page; each is answered by the founding corpus.
EXAMPLES = (
    "Who backed Haftar?",
    "Who supported Libya Dawn?",
    "How did Libyan weapons reach Mali?",
    "Was the NATO intervention in Libya a mistake?",
    "What happened in Derna?",
)


@dataclass(frozen=True)
class SourceView:
    """One article as the viewer shows it: from which version, and whether it changed since."""

    article: Article
    passages: int
    version: str
    changed_since: bool  # the current version's text of this article differs from this one


def make_templates(settings: Settings) -> Jinja2Templates:
    """The page templates (autoescaped), with the helpers they call."""
    templates = Jinja2Templates(directory=str(settings.web_dir / "templates"))
    templates.env.filters["known"] = known
    templates.env.globals.update(
        title_of=title_of,
        answer_link=answer_link,
        web_url=web_url,
        source_link=source_link,
        quote_parts=quote_parts,
        strength=strength,
        reading_sections=reading_sections,
        CITE_STYLES=CITE_STYLES,
    )
    return templates


def render_page(
    request: Request,
    templates: Jinja2Templates,
    qa: QA,
    question: str = "",
    history: Sequence[str] = (),
    error: QAError | None = None,
    filters: Filters = Filters(),
) -> HTMLResponse:
    """The chat page, with the answer to `question` (or an error) when there is one."""
    history = clean_history(history, qa.settings)  # as QA will use it, so the link replays the same turn
    articles = qa.articles()
    context: dict[str, object] = {
        "question": question,
        "history": history,
        "answer": None,
        "error": error,
        "filters": filters,
        "sources": articles,
        "years": year_span(e.source for e in articles),
        "examples": EXAMPLES,
        "threshold": qa.threshold,
        "public_url": qa.settings.public_url,
    }
    status = error.status if error else 200
    if question:
        turn: dict[str, object] = {"question": question.strip(), "history": history, "filters": filters_dict(filters)}
        try:
            answer = qa.ask(question, history=list(history), filters=filters, group="source")
            context["answer"], turn["answer"] = answer, answer.to_dict()
            request.state.answer_status = answer.status
        except QAError as exc:
            context["error"], status = exc, exc.status
            turn["error"] = exc.to_dict()["error"]
        context["turn"] = turn  # handed to chat.js, which takes the conversation over
    return templates.TemplateResponse(request, "index.html", context, status_code=status)


def render_source(request: Request, templates: Jinja2Templates, view: SourceView, current: str) -> HTMLResponse:
    """The whole article with the quoted range (?start=&end=) marked and scrolled to."""
    body = view.article.body
    start, end = _range(request, len(body))
    context = {
        "article": view.article,
        "passages": view.passages,
        "before": body[:start],
        "quoted": body[start:end],
        "after": body[end:],
        "has_quote": end > start,
        "start": start,
        "end": end,
        "version": view.version,
        "changed": view.changed_since,
        "old_version": view.version != current,
    }
    return templates.TemplateResponse(request, "source.html", context)


def render_library(request: Request, templates: Jinja2Templates, library: dict[str, Any]) -> HTMLResponse:
    """The library page: the corpus listed on the server (read-only without JavaScript), managed by library.js."""
    return templates.TemplateResponse(request, "library.html", {"library": library})


def render_error_page(request: Request, error: QAError) -> HTMLResponse | None:
    """The chat page showing an error (e.g. a stale source link), or None when the server cannot render it."""
    services: Any = getattr(request.app.state, "services", None)
    if services is None:
        return None
    try:
        return render_page(request, services.templates, services.qa, error=error)
    except Exception:  # the error page must not fail in turn; the caller answers in JSON instead
        return None


def title_of(source: Source) -> str:
    """A displayable title: the article's own, or a plain label naming its id."""
    return known(source.title, f"Untitled article ({source.id})")


def web_url(url: str) -> str:
    """The URL when it is a plain http(s) link, else "" (never a javascript: or data: link)."""
    return url if url.startswith(("https://", "http://")) else ""


def answer_link(question: str, history: Sequence[str] = (), filters: Filters = Filters()) -> str:
    """The shareable link that renders this answer: /?q=...&h=... (earlier questions), then its filters."""
    query = [("q", question), *(("h", h) for h in history), *(("source", s) for s in filters.sources)]
    query += [(name, value) for name, value in (("from", filters.date_from), ("to", filters.date_to)) if value]
    return "/?" + urlencode(query)


def filters_dict(filters: Filters) -> dict[str, object]:
    """The filters as the page and the /ask body spell them."""
    return {"sources": list(filters.sources), "date_from": filters.date_from, "date_to": filters.date_to}


def quote_parts(quote: str, highlights: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    """The quote cut at every highlight: (text, marked) pieces in reading order, overlaps merged."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted((max(s, 0), min(e, len(quote))) for s, e in highlights):
        start = max(start, at)
        if end <= start:
            continue
        parts += [(quote[at:start], False)] if start > at else []
        parts.append((quote[start:end], True))
        at = end
    return parts + ([(quote[at:], False)] if at < len(quote) else [])


def strength(confidence: float, threshold: float) -> str:
    """A word for an excerpt's confidence (a probability) against the answer threshold (as strengthOf in render.js)."""
    if confidence >= threshold:
        return "strong"
    return "moderate" if confidence >= threshold - STRENGTH_MARGIN else "weak"


def in_reading_order(answer: Answer) -> list[Excerpt]:
    """The excerpts as the page lists them: best first, related ones last (the same order as inReadingOrder).

    The answer keeps them in the order they were picked, across articles; the page reads best first.
    """
    return sorted(answer.excerpts, key=lambda e: (answer.lists_as_related(e), -e.score))


def reading_sections(answer: Answer) -> tuple[list[Excerpt], list[Excerpt]]:
    """in_reading_order cut in two: the excerpts that bear on the question, then the related ones."""
    ordered = in_reading_order(answer)
    cut = sum(not answer.lists_as_related(e) for e in ordered)
    return ordered[:cut], ordered[cut:]


def source_link(article_id: str, version: str = "", start: int | None = None, end: int | None = None) -> str:
    """The viewer's link for a quote: the version it was cut from and its range (same as sourceHref in render.js)."""
    query = [("version", version)] if version else []
    if start is not None and end is not None:
        query += [("start", str(start)), ("end", str(end))]
    return f"/sources/{quote(article_id, safe='')}" + (f"?{urlencode(query)}" if query else "")


def year_span(sources: Iterable[Source]) -> str:
    """The years the articles were published, e.g. "2013–2015" (empty when no dates are known)."""
    years = sorted({s.date[:4] for s in sources if s.date[:4].isdigit()})
    if not years:
        return ""
    return years[0] if years[0] == years[-1] else f"{years[0]}–{years[-1]}"


def _range(request: Request, length: int) -> tuple[int, int]:
    """The character range asked for in the URL, clamped to the body; empty when absent or bad."""
    try:
        start = int(request.query_params.get("start", 0))
        end = int(request.query_params.get("end", 0))
    except ValueError:
        return 0, 0
    start, end = max(0, min(start, length)), max(0, min(end, length))
    return (start, end) if end > start else (0, 0)
