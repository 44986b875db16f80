"""The HTML side: the question page at / and the source viewer, rendered with Jinja2 from web/."""

from __future__ import annotations

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .config import Settings
from .errors import QAError
from .schema import Article

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def mount_web(app: FastAPI, settings: Settings) -> None:
    """Static files, templates, the page routes and the security headers."""
    templates = Jinja2Templates(directory=str(settings.web_dir / "templates"))  # autoescapes .html
    app.mount("/static", StaticFiles(directory=str(settings.web_dir / "static")), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if not request.url.path.startswith("/docs"):  # Swagger UI needs its own inline script
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    def page(request: Request, question: str = "", history: list[str] | None = None) -> HTMLResponse:
        """Render the page, with the answer to `question` when there is one."""
        qa = request.app.state.qa
        context: dict[str, object] = {"question": question, "answer": None, "error": None,
                                      "sources": qa.articles()}
        status = 200
        if question:
            try:
                context["answer"] = qa.ask(question, history=history or [])
            except QAError as exc:
                context["error"], status = exc, exc.status
        return templates.TemplateResponse(request, "index.html", context, status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, q: str = "") -> HTMLResponse:
        return page(request, q)

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    def index_post(request: Request, question: str = Form("")) -> HTMLResponse:
        return page(request, question if question.strip() else " ")

    def render_source(request: Request, article: Article, passages: int) -> HTMLResponse:
        """The whole article with the quoted range (?start=&end=) marked and scrolled to."""
        body = article.body
        start, end = _range(request, len(body))
        context = {"article": article, "passages": passages, "before": body[:start],
                   "quoted": body[start:end], "after": body[end:], "has_quote": end > start}
        return templates.TemplateResponse(request, "source.html", context)

    app.state.render_source = render_source


def _range(request: Request, length: int) -> tuple[int, int]:
    """The character range asked for in the URL, clamped to the body; empty when absent or bad."""
    try:
        start = int(request.query_params.get("start", 0))
        end = int(request.query_params.get("end", 0))
    except ValueError:
        return 0, 0
    start, end = max(0, min(start, length)), max(0, min(end, length))
    return (start, end) if end > start else (0, 0)
