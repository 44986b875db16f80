"""The one exception handler: every failure leaves as {"error": {"code", "message"}}, or as the page for a browser.

Modelled on datasette's handle_exception: the exception decides status, code and message in one place;
the request decides JSON or HTML. Anything unexpected is a 500 `internal_error` whose message names the
request id (the traceback goes to the log, never to the client). Messages never carry server paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..config import Settings
from ..errors import Overloaded, QAError
from ..web import render_error_page

log = structlog.get_logger("libya_qa.http")
HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "unavailable",
}
PLAIN = {
    "There was an error parsing the body": "the body cannot be read: send JSON (or a form) encoded as UTF-8",
    "Method Not Allowed": "this method is not allowed here; the Allow header lists the ones that are",
    "Not Found": "there is nothing at this address; / is the page, /docs describes the API",
}
# An absolute path not part of a URL: "/srv/qa/index/versions/x" but not "https://host/a/b".
ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"`]+/)+([^\s/'\"`]*)")


def describe(request: Request, exc: Exception) -> tuple[int, str, str, dict[str, str]]:
    """Status, code, message and extra headers for any exception."""
    if isinstance(exc, QAError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Overloaded) else {}
        return exc.status, exc.code, exc.message, headers
    if isinstance(exc, RequestValidationError):
        return 422, validation_code(exc.errors()), validation_message(exc.errors()), {}
    if isinstance(exc, StarletteHTTPException):
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = PLAIN.get(str(exc.detail), str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and "app" in request.scope:
            headers["Allow"] = ", ".join(allowed_methods(request))
        if exc.status_code in (408, 413):  # the body was left unread: the connection cannot be reused
            headers["Connection"] = "close"
        return exc.status_code, code, message, headers
    request_id = getattr(request.state, "request_id", "?")
    return 500, "internal_error", f"the server failed on this request; it was logged as request {request_id}", {}


def validation_code(errors: Sequence[Any]) -> str:
    """invalid_request, or a more specific code a client can act on (a misspelt filter name)."""
    first = errors[0] if errors else {}
    loc = [p for p in first.get("loc", ()) if p != "body"]
    if first.get("type") == "extra_forbidden" and len(loc) == 2 and loc[0] == "filters":
        return "unknown_filter"
    return "invalid_request"


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    matching = [
        route
        for route in _flat(request.app.router.routes)
        if getattr(route, "methods", None) and route.matches(dict(request.scope))[0] != Match.NONE
    ]
    if not matching:
        return []
    # /sources/preview is its own resource, though /sources/{source_id} matches it too: the path with
    # the fewest parameters names the resource.
    specific = min(route.path.count("{") for route in matching)
    return sorted({m for route in matching if route.path.count("{") == specific for m in route.methods})


def _flat(routes: Sequence[Any]) -> Iterator[Any]:
    """Routes with included routers opened (FastAPI keeps an included router as one entry; no prefixes here)."""
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        yield from _flat(inner) if inner is not None else (route,)


def validation_message(errors: Sequence[Any]) -> str:
    """The first validation error as `where: what` (pydantic's own wording, never the input itself)."""
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    if first.get("type") == "json_invalid":
        return f"the body is not valid JSON ({first.get('ctx', {}).get('error', 'decode error')})"
    if validation_code(errors) == "unknown_filter":
        return f"{where} is not a filter; the filters are sources, publishers, authors, date_from and date_to"
    return f"{where or 'request'}: {first.get('msg', 'invalid')}"


def public(message: str, settings: Settings | None) -> str:
    """The message without server paths: configured folders by their names, other absolute paths by their last part."""
    if settings is not None:
        for folder in (settings.index_dir, settings.corpus_dir, settings.web_dir):
            for spelling in {str(folder.resolve()), str(folder)}:
                if spelling not in ("", ".", "/"):
                    message = message.replace(spelling, Path(spelling).name or spelling)
    return ABSOLUTE_PATH.sub(_last_part, message)


def _last_part(match: re.Match[str]) -> str:
    """A server path's last part; a URL path such as /sources/x (no such top folder here) is kept."""
    top = match.group(0).split("/")[1]
    return (match.group(1) or "/") if top and os.path.isdir("/" + top) else match.group(0)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (Accept: text/html), unless ?format=json overrides it."""
    return "text/html" in request.headers.get("accept", "") and request.query_params.get("format") != "json"


async def handle_exception(request: Request, exc: Exception) -> Response:
    """Turn any exception into the error response this request wants."""
    status, code, message, headers = describe(request, exc)
    settings: Settings | None = getattr(request.app.state, "settings", None) if "app" in request.scope else None
    message = public(message, settings)
    if status >= 500 and not isinstance(exc, QAError):
        log.error(
            "unhandled_exception",
            request_id=getattr(request.state, "request_id", None),
            path=request.url.path,
            exc_info=exc,
        )
    if wants_html(request) and "app" in request.scope:
        page = render_error_page(request, QAError(code, message, status))
        if page is not None:
            page.headers.update(headers)
            return page
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Route every exception type FastAPI knows through the one handler (the edge catches the rest)."""
    for kind in (QAError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, handle_exception)  # type: ignore[arg-type]
