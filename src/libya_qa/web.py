"""The HTML side: the chat page at / and the source viewer, rendered with Jinja2 from web/."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .config import Settings
from .errors import QAError
from .schema import Article, Source, known

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

# Questions offered on the empty page; each is answered by the founding corpus.
EXAMPLES = (
    "Who backed Haftar?",
    "Who supported Libya Dawn?",
    "How did Libyan weapons reach Mali?",
    "Was the NATO intervention in Libya a mistake?",
    "What happened in Derna?",
)


def mount_web(app: FastAPI, settings: Settings) -> None:
    """Static files, templates, the page routes and the security headers."""
    templates = Jinja2Templates(directory=str(settings.web_dir / "templates"))  # autoescapes .html
    templates.env.filters["known"] = known
    templates.env.globals["title_of"] = title_of
    templates.env.globals["answer_link"] = answer_link
    templates.env.globals["web_url"] = web_url
    app.mount("/static", StaticFiles(directory=str(settings.web_dir / "static")), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if not request.url.path.startswith("/docs"):  # Swagger UI needs its own inline script
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    def page(request: Request, question: str = "", history: Sequence[str] = (),
             error: QAError | None = None) -> HTMLResponse:
        """Render the page, with the answer to `question` (or an error) when there is one."""
        qa = request.app.state.qa
        history = [h.strip() for h in history if h.strip()][-settings.max_history:]  # as QA will use it
        articles = qa.articles()
        context: dict[str, object] = {
            "question": question, "history": history, "answer": None, "error": None,
            "sources": articles, "years": year_span(e.source for e in articles), "examples": EXAMPLES,
        }
        status = error.status if error else 200
        context["error"] = error
        if question:
            turn: dict[str, object] = {"question": question.strip(), "history": history}
            try:
                answer = qa.ask(question, history=list(history))
                context["answer"], turn["answer"] = answer, answer.to_dict()
            except QAError as exc:
                context["error"], status = exc, exc.status
                turn["error"] = exc.to_dict()["error"]
            context["turn"] = turn  # handed to chat.js, which takes the conversation over
        return templates.TemplateResponse(request, "index.html", context, status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, q: str = "", h: list[str] = Query(default=[])) -> HTMLResponse:
        """The page; with ?q= (and ?h= earlier questions) the answer is rendered here, no JavaScript needed."""
        return page(request, q, h)

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    def index_post(request: Request, question: str = Form("")) -> HTMLResponse:
        """The plain form post (JavaScript off): one question, answered on the server."""
        return page(request, question if question.strip() else " ")

    def render_source(request: Request, article: Article, passages: int) -> HTMLResponse:
        """The whole article with the quoted range (?start=&end=) marked and scrolled to."""
        body = article.body
        start, end = _range(request, len(body))
        context = {"article": article, "passages": passages, "before": body[:start],
                   "quoted": body[start:end], "after": body[end:], "has_quote": end > start,
                   "start": start, "end": end}
        return templates.TemplateResponse(request, "source.html", context)

    app.state.render_source = render_source
    app.state.render_error = lambda request, error: page(request, error=error)  # e.g. unknown source, as HTML


def title_of(source: Source) -> str:
    """A displayable title: the article's own, or a plain label naming its id."""
    return known(source.title, f"Untitled article ({source.id})")


def web_url(url: str) -> str:
    """The URL when it is a plain http(s) link, else "" (never a javascript: or data: link)."""
    return url if url.startswith(("https://", "http://")) else ""


def answer_link(question: str, history: Sequence[str] = ()) -> str:
    """The shareable link that renders this answer: /?q=...&h=... (earlier questions for follow-ups)."""
    return "/?" + urlencode([("q", question), *(("h", h) for h in history)])


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
