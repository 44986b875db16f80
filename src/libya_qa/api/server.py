"""Serving with uvicorn: bounded connections, slow clients timed out, JSON log lines."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import h11
import structlog
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import Settings

KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this long


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request headers take too long (slowloris).

    uvicorn bounds the idle time between requests (keep-alive) but not the time a client may take to
    send one request's headers; without this, 200 connections sending a byte a minute stay open.
    """

    header_timeout = 10.0  # set from the settings by `serve`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still reading a request's headers
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        """Start the header clock once per request (it keeps running while bytes trickle in)."""
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        """The headers are complete (or the connection is gone)."""
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        """Close a connection that did not finish its headers in time."""
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def configure_logging() -> None:
    """One JSON object per line on stderr (structlog), uvicorn's own messages included."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def server_config(app: FastAPI, settings: Settings, host: str, port: int, **extra: Any) -> Any:
    """uvicorn's configuration with the connection and time limits from the settings."""
    import uvicorn

    protocol = type("Protocol", (BoundedH11Protocol,), {"header_timeout": settings.header_timeout})
    options: dict[str, Any] = {"access_log": False, "log_level": "info", **extra}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        **options,
    )


def run(app: FastAPI, settings: Settings, host: str, port: int) -> None:
    """Serve until stopped."""
    import uvicorn

    configure_logging()
    uvicorn.Server(server_config(app, settings, host, port)).run()
