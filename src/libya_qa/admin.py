"""Background index builds for the server: one at a time, with the last one's state and report kept.

The HTTP side (POST/GET /index, POST/DELETE /sources) lives in api/admin.py; this is the runner it drives.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from .build import BuildReport
from .config import Settings
from .errors import Conflict, QAError
from .qa import QA
from .sources import build_from_corpus, build_lock, roll_back


@dataclass
class BuildState:
    """The last (or running) background build."""

    state: str = "idle"  # idle, running, done, failed
    full: bool | None = None
    started: str | None = None
    finished: str | None = None
    report: BuildReport | None = None
    error: dict[str, str] | None = None
    notes: list[str] = field(default_factory=list)
    stage: str = ""  # what a running build is doing now
    percent: float | None = None  # how far along it is (0-100), None before the first stage
    seconds: float | None = None  # how long the last finished (or failed) build ran


class BuildRunner:
    """Runs one index build at a time on a background thread and remembers how the last one went."""

    def __init__(self, settings: Settings, qa: QA) -> None:
        self.settings = settings
        self.qa = qa
        self._lock = threading.Lock()
        self._state = BuildState()
        self._thread: threading.Thread | None = None

    def start(self, full: bool) -> BuildState:
        """Start a build, or raise Conflict when one is running (here or in another process)."""
        with self._lock:
            if self._state.state == "running":
                raise Conflict("build_running", "an index build is already running; GET /index shows how it goes")
            stack = contextlib.ExitStack()
            stack.enter_context(build_lock(self.settings))  # Conflict when a CLI build holds it
            self._state = BuildState("running", full, _now())
            self._thread = threading.Thread(target=self._run, args=(full, stack), daemon=True, name="index-build")
            self._thread.start()
        return self.snapshot()

    def _run(self, full: bool, stack: contextlib.ExitStack) -> None:
        """The build thread: build, release the lock, then serve the new version at once."""
        report, error = None, None
        began = time.perf_counter()
        with stack:
            try:
                report = build_from_corpus(self.settings, self.qa.encoder, full=full, on_stage=self._set_stage)
            except QAError as exc:
                error = {"code": exc.code, "message": exc.message}
            except Exception as exc:  # a build must never take the server down; report it instead
                error = {"code": "build_failed", "message": f"{exc.__class__.__name__}: {exc}"}
        notes = []
        if report is not None and not self.qa.reload() and self.qa.last_reload_error:
            notes.append(f"reload failed: {self.qa.last_reload_error}")  # the old version keeps serving
        with self._lock:
            self._state = BuildState(
                "done" if report else "failed",
                full,
                self._state.started,
                _now(),
                report,
                error,
                notes,
                self._state.stage,
                100.0 if report else self._state.percent,
                time.perf_counter() - began,
            )

    def _set_stage(self, stage: str, percent: float) -> None:
        """Record the running build's current stage and progress (read by GET /index and its events)."""
        with self._lock:
            self._state.stage, self._state.percent = stage, round(percent, 1)

    def rollback(self) -> tuple[str | None, str]:
        """Serve the previous index version again, unless a build is running; (old, new)."""
        with self._lock:
            if self._state.state == "running":
                raise Conflict("build_running", "an index build is running; roll back once it has finished")
            old, new = roll_back(self.settings)  # Conflict when a CLI build holds the lock
        self.qa.reload()
        return old, new

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running build (if any) ends."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def snapshot(self) -> BuildState:
        """A copy of the build state, safe to read while the build goes on."""
        with self._lock:
            return replace(self._state, notes=list(self._state.notes))


def _now() -> str:
    """UTC time as ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")
