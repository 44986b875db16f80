"""Admission control: a bounded number of questions answered at once and waiting; past that, a fast 503."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from ..encoders import limit_this_thread
from ..errors import Overloaded

T = TypeVar("T")

MAX_WAIT_SECONDS = 1.0  # a queued question that waits longer is shed rather than answered late


class Gate:
    """Lets `concurrent` requests work and `queued` more wait; the next one gets Overloaded at once.

    Created in the server's event loop (at start-up) and used only from it, so plain counters are safe.
    """

    def __init__(self, concurrent: int, queued: int, threads: int = 1) -> None:
        self.concurrent, self.queued = concurrent, queued
        self.threads = threads  # CPU threads each question's encoding and search may use
        self._slots = asyncio.Semaphore(concurrent)
        self.waiting = 0
        self.active = 0
        self.shed = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a working slot for the body of the `async with`, or raise Overloaded."""
        if self._slots.locked() and self.waiting >= self.queued:
            self._refuse("all {concurrent} answering slots and {queued} waiting places are taken")
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), MAX_WAIT_SECONDS)
        except TimeoutError:
            self._refuse("a question waited {wait:g} s for a free answering slot")
        finally:
            self.waiting -= 1
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            self._slots.release()

    async def answer(self, work: Callable[..., T], *args: Any) -> T:
        """Run one question's work on the thread pool, inside a slot, with the per-question thread limit."""
        async with self.slot():
            return await run_in_threadpool(_limited, self.threads, work, *args)

    def _refuse(self, why: str) -> None:
        """Count a shed request and raise the 503."""
        self.shed += 1
        reason = why.format(concurrent=self.concurrent, queued=self.queued, wait=MAX_WAIT_SECONDS)
        raise Overloaded("overloaded", f"the server is at capacity ({reason}); try again in a second", retry_after=1)


def _limited(threads: int, work: Callable[..., T], *args: Any) -> T:
    """The work, with torch's and FAISS's threads limited in this pool thread. OpenMP counts them per thread, so
    start-up's limit never reached the request threads: each used the machine's default, and on two cores
    /ask's p50 on the founding corpus was 67 ms against 49 ms with the limit (bench/latency.py)."""
    limit_this_thread(threads)
    return work(*args)
