"""The outermost layer of every request: an id, body limits read from the stream, security headers,
the catch-all for unexpected exceptions, one structured log line and the request metrics.

A pure ASGI middleware (not @app.middleware) so that it sees the body as it streams in, and so that a
crash anywhere below still leaves as the one JSON error shape with the security headers.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import structlog
from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..ingest import MAX_SOURCE_BYTES
from ..web import CSP
from .errors import handle_exception
from .metrics import Metrics

log = structlog.get_logger("libya_qa.access")
# Request bodies, by method and path; anything else may send at most DEFAULT_BODY_BYTES.
BODY_LIMITS = {
    ("POST", "/ask"): 32 * 1024,
    ("POST", "/"): 16 * 1024,
    ("POST", "/sources"): MAX_SOURCE_BYTES + (1 << 20),  # a file and its multipart framing
    ("POST", "/sources/preview"): MAX_SOURCE_BYTES + (1 << 20),
}
DEFAULT_BODY_BYTES = 64 * 1024
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def body_limit(method: str, path: str) -> int:
    """The most bytes a request to this route may send."""
    return BODY_LIMITS.get((method, path), DEFAULT_BODY_BYTES)


def _size(n: int) -> str:
    """Bytes as KiB or MiB, for messages."""
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n / 1024:.0f} KiB"


class BoundedBody:
    """The request's receive channel, cut off past the size limit or the time limit for the whole body."""

    def __init__(self, receive: Receive, method: str, path: str, limit: int, seconds: float) -> None:
        self.receive, self.limit, self.seconds = receive, limit, seconds
        self.route = f"{method} {path}"
        self.deadline = time.monotonic() + seconds
        self.received = 0
        self.done = False

    async def __call__(self) -> Message:
        """The next message; raises 413 or 408 (as HTTPException, which FastAPI passes through)."""
        if self.done:  # after the body only a disconnect can come; no deadline for that wait
            return await self.receive()
        try:
            message = await asyncio.wait_for(self.receive(), max(0.0, self.deadline - time.monotonic()))
        except TimeoutError:
            raise StarletteHTTPException(408, f"the request body did not arrive within {self.seconds:g} s") from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise StarletteHTTPException(
                    413, f"the request body is over the {_size(self.limit)} limit of {self.route}"
                )
            self.done = not message.get("more_body", False)
        return message


class Edge:
    """The middleware itself (added last, so it is the outermost user middleware)."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        state["request_id"] = _request_id(scope)
        outcome: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"], outcome["started"] = message["status"], True
                _add_headers(MutableHeaders(scope=message), scope["path"], state["request_id"])
            await send(message)

        try:
            await self._dispatch(scope, receive, send_with_headers)
        except Exception as exc:  # the catch-all: nothing leaves as a bare 500 without the error shape
            if outcome["started"]:
                log.error("response_failed", request_id=state["request_id"], exc_info=exc)
            else:
                response = await handle_exception(Request(scope, receive), exc)
                await response(scope, receive, send_with_headers)
        finally:
            self._record(scope, outcome["status"], time.perf_counter() - started)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an announced oversized body at once; otherwise run the app on the bounded body."""
        method, path = scope["method"], scope["path"]
        limit = body_limit(method, path)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            raise StarletteHTTPException(
                413, f"the request body is {_size(int(length))}; the limit of {method} {path} is {_size(limit)}"
            )
        await self.app(scope, BoundedBody(receive, method, path, limit, self.settings.body_timeout), send)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        """The log line and the metrics of one finished request (never a header: the token stays out)."""
        route = getattr(scope.get("route"), "path", None)
        if route is None:  # refused before routing: name only routes we know, so labels stay few
            route = scope["path"] if (scope["method"], scope["path"]) in BODY_LIMITS else "unmatched"
        answer = scope["state"].get("answer_status")
        self.metrics.observe(scope["method"], route, status, seconds, answer)
        log.info(
            "request",
            request_id=scope["state"]["request_id"],
            method=scope["method"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 1),
            answered=answer,
        )


def _request_id(scope: Scope) -> str:
    """The client's X-Request-ID when it is a plain token, else a new one."""
    given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def _add_headers(headers: MutableHeaders, path: str, request_id: str) -> None:
    """Security headers on every response, and the request id."""
    if not path.startswith("/docs"):  # Swagger UI needs its own inline script
        headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers["X-Request-ID"] = request_id


def install(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """Wrap the app in the edge."""
    app.add_middleware(Edge, settings=settings, metrics=metrics)  # type: ignore[arg-type]
