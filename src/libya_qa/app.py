"""FastAPI app factory: a thin HTTP adapter over QA (JSON API, errors, the web page router)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .admin import mount_admin
from .config import Settings
from .encoders import limit_threads
from .errors import QAError
from .qa import QA

RELOAD_SECONDS = 1.0  # how often the server looks for a new current index version


class AskRequest(BaseModel):
    """Body of POST /ask."""

    question: str = Field(..., description="The question, 1 to 500 characters.")
    top_k: int = Field(5, ge=1, le=20, description="How many excerpts at most.")
    history: list[str] = Field(default_factory=list, description="Earlier questions of the conversation, oldest first.")


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The one JSON error shape."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    """Every failure leaves as {"error": {"code", "message"}}."""

    @app.exception_handler(QAError)
    async def qa_error(_: Request, exc: QAError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error_response(422, "invalid_request", f"{where or 'request'}: {first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))


async def _watch_index(qa: QA) -> None:
    """Poll for a new current version and swap it in without a restart."""
    while True:
        await asyncio.sleep(RELOAD_SECONDS)
        await asyncio.to_thread(qa.reload)


def create_app(settings: Settings | None = None, qa: QA | None = None) -> FastAPI:
    """Build the app; the models and the index load once, at start-up (or come in ready-made)."""
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_threads(settings.serve_threads)
        app.state.qa = qa or await asyncio.to_thread(QA, settings)
        watcher = asyncio.create_task(_watch_index(app.state.qa))
        yield
        watcher.cancel()

    app = FastAPIOffline(title="libya_qa", version=__version__, lifespan=lifespan,
                  description="Verbatim, cited excerpts from a curated corpus about Libya since 2011.")
    app.state.settings = settings
    _install_error_handlers(app)
    _add_api_routes(app)
    from .web import mount_web  # the HTML side lives in its own module

    mount_web(app, settings)
    mount_admin(app, settings)  # POST/DELETE /sources, POST/GET /index
    return app


def _add_api_routes(app: FastAPI) -> None:
    """The JSON API."""

    @app.post("/ask", summary="Answer a question with verbatim, cited excerpts")
    def ask(body: AskRequest, request: Request) -> dict[str, object]:
        return request.app.state.qa.ask(body.question, body.top_k, body.history).to_dict()

    @app.get("/healthz", summary="Liveness and the index being served")
    def healthz(request: Request) -> dict[str, object]:
        qa: QA = request.app.state.qa
        manifest = qa.loaded.snapshot.manifest
        counts = manifest.get("counts", {})
        return {"status": "ok", "version": __version__, "index_version": qa.loaded.snapshot.version,
                "articles": int(counts.get("articles", 0)), "passages": int(counts.get("passages", 0)),
                "model": manifest.get("model"), "reload_error": qa.last_reload_error or None}

    @app.get("/sources", summary="The indexed articles")
    def sources(request: Request) -> dict[str, object]:
        items = [{**e.source.to_dict(), "passages": e.passages} for e in request.app.state.qa.articles()]
        return {"sources": items, "count": len(items)}

    @app.get("/sources/{source_id}", summary="One article: metadata and the body quotes are cut from")
    def source(source_id: str, request: Request) -> object:
        wants_html = "text/html" in request.headers.get("accept", "") and request.query_params.get("format") != "json"
        try:
            article, passages = request.app.state.qa.article(source_id)
        except QAError as exc:
            if wants_html:  # a browser following a stale link gets the page with the message
                return request.app.state.render_error(request, exc)
            raise
        if wants_html:
            return request.app.state.render_source(request, article, passages)
        return {**article.source.to_dict(), "passages": passages, "notes": article.notes,
                "sha256": article.sha256, "body": article.body}
