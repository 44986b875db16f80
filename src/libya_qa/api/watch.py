"""The index watcher: polls for a new current version and swaps it in, and cannot die of one bad poll."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from ..qa import QA

log = structlog.get_logger("libya_qa.watcher")
STALE_POLLS = 30  # a watcher silent for this many intervals is reported stopped (a reload hung)


@dataclass(frozen=True)
class WatcherStatus:
    """What /healthz and /metrics say about the watcher."""

    state: str  # running, failing (the newest version does not load), stopped
    last_poll: str | None
    error: str | None


class IndexWatcher:
    """Calls QA.reload every `interval` seconds on a worker thread, for as long as the server runs."""

    def __init__(self, qa: QA, interval: float) -> None:
        self.qa = qa
        self.interval = interval
        self.last_poll: float | None = None
        self.error = ""  # an unexpected failure of the poll itself (QA records reload failures)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling in the running event loop."""
        self._task = asyncio.create_task(self._run(), name="index-watcher")

    async def stop(self) -> None:
        """Stop polling (at shutdown)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        """Poll forever; any exception is recorded and the next poll goes on."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self.qa.reload)
                self.error = ""
            except Exception as exc:  # QA.reload should not raise; if it ever does, keep watching
                self.error = f"{exc.__class__.__name__}: {exc}"
                log.error("index_watch_failed", error=self.error)
            self.last_poll = time.time()

    def status(self) -> WatcherStatus:
        """Running, failing or stopped, with the last poll time and error."""
        polled = None if self.last_poll is None else datetime.fromtimestamp(self.last_poll, UTC)
        stale = self.last_poll is not None and time.time() - self.last_poll > STALE_POLLS * max(self.interval, 1)
        error = self.error or self.qa.last_reload_error or None
        if self._task is None or self._task.done() or stale:
            state = "stopped"
            error = error or (
                "the index watcher is not running: new index versions will not be served; restart the server"
            )
        else:
            state = "failing" if error else "running"
        return WatcherStatus(state, polled.isoformat(timespec="seconds") if polled else None, error)
