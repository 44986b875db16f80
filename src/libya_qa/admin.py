"""Admin HTTP endpoints: add and remove sources, rebuild the index in the background (bearer token).

POST /sources, DELETE /sources/{id} and POST /index need `Authorization: Bearer <LIBYA_QA_ADMIN_TOKEN>`;
with no token configured they answer 403. GET /index (build state, versions) is open like /healthz.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .build import BuildReport
from .config import Settings
from .errors import AdminDisabled, BadQuestion, Conflict, IngestError, QAError, Unauthorized
from .ingest import CONTENT_TYPES, MAX_SOURCE_BYTES, Extracted, Metadata, read_bytes
from .qa import QA
from .sources import NEXT_STEP, add_source, build_from_corpus, build_lock, remove_source
from .stores import open_store

FORM_FIELDS = ("title", "author", "publisher", "date", "url", "id")


class AddText(BaseModel):
    """JSON body of POST /sources: the article text (Markdown, optional YAML header) and metadata."""

    text: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    id: str | None = None
    replace: bool = False


ADD_DOC = {"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "a .txt, .md, .html or .pdf file"},
        **{name: {"type": "string"} for name in FORM_FIELDS}, "replace": {"type": "boolean"}}}},
    "application/json": {"schema": AddText.model_json_schema()},
}}}


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


class BuildRunner:
    """Runs one index build at a time on a background thread and remembers how the last one went."""

    def __init__(self, settings: Settings, qa: Callable[[], QA]) -> None:
        self.settings = settings
        self._qa = qa
        self._lock = threading.Lock()
        self._state = BuildState()
        self._thread: threading.Thread | None = None

    def start(self, full: bool) -> dict[str, Any]:
        """Start a build, or raise Conflict when one is running (here or in another process)."""
        with self._lock:
            if self._state.state == "running":
                raise Conflict("build_running", "an index build is already running; GET /index shows how it goes")
            stack = contextlib.ExitStack()
            stack.enter_context(build_lock(self.settings))  # Conflict when a CLI build holds it
            self._state = BuildState("running", full, _now())
            self._thread = threading.Thread(target=self._run, args=(full, stack), daemon=True, name="index-build")
            self._thread.start()
        return self.status()

    def _run(self, full: bool, stack: contextlib.ExitStack) -> None:
        """The build thread: build, release the lock, then serve the new version at once."""
        report, error = None, None
        with stack:
            try:
                report = build_from_corpus(self.settings, self._qa().encoder, full=full, on_stage=self._set_stage)
            except QAError as exc:
                error = {"code": exc.code, "message": exc.message}
            except Exception as exc:  # a build must never take the server down; report it instead
                error = {"code": "build_failed", "message": f"{exc.__class__.__name__}: {exc}"}
        notes = []
        if report is not None:
            try:
                self._qa().reload()
            except Exception as exc:  # the watcher keeps trying; the old version keeps serving
                notes.append(f"reload failed: {exc}")
        with self._lock:
            self._state = BuildState("done" if report else "failed", full, self._state.started, _now(),
                                     report, error, notes, self._state.stage)

    def _set_stage(self, stage: str) -> None:
        """Record the running build's current stage (read by GET /index)."""
        with self._lock:
            self._state.stage = stage

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running build (if any) ends."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def status(self) -> dict[str, Any]:
        """State, the last report's fields, the current and available versions."""
        with self._lock:
            state = self._state
        store = open_store(self.settings)
        return {"state": state.state, "stage": state.stage, "full": state.full, "started": state.started, "finished": state.finished,
                "report": asdict(state.report) if state.report else None, "error": state.error,
                "notes": state.notes, "current_version": store.current_version(), "versions": store.versions(),
                "serving_version": self._qa().loaded.snapshot.version}


def _now() -> str:
    """UTC time as ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def admin_guard(settings: Settings) -> Callable[[Request], None]:
    """A dependency that lets a request through only with the configured bearer token."""

    def check(request: Request) -> None:
        if not settings.admin_token:
            raise AdminDisabled("admin_disabled", "admin endpoints are off: set LIBYA_QA_ADMIN_TOKEN to a secret, "
                                "restart the server and send `Authorization: Bearer <token>`")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.admin_token.encode()):
            raise Unauthorized("unauthorized", "missing or wrong admin token: send `Authorization: Bearer <token>` "
                               "with the value of LIBYA_QA_ADMIN_TOKEN")

    return check


async def read_source(request: Request) -> tuple[Extracted, bool]:
    """The uploaded file (multipart) or JSON text of a POST /sources, extracted; and whether to replace."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_SOURCE_BYTES + (1 << 20):
        raise IngestError("too_large", f"the upload is over the {MAX_SOURCE_BYTES >> 20} MiB limit", status=413)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=len(FORM_FIELDS) + 2)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise IngestError("missing_file", "a multipart upload needs the article in a `file` field")
        raw = await upload.read(MAX_SOURCE_BYTES + 1)
        name = upload.filename or "upload"
        kind = None if Path(name).suffix else CONTENT_TYPES.get(upload.content_type or "")  # suffix first
        meta = Metadata(**{k: str(form.get(k) or "") or None for k in FORM_FIELDS})
        replace = str(form.get("replace", "")).lower() in ("1", "true", "yes", "on")
    elif content_type.startswith("application/json"):
        body = _parse_json(await request.body())
        raw, name, kind = body.text.encode("utf-8"), "text.md", "markdown"
        meta = Metadata(**{k: getattr(body, k) for k in FORM_FIELDS})
        replace = body.replace
    else:
        raise IngestError("unsupported_media_type", "send a multipart/form-data upload with a `file` field, "
                          "or JSON {\"text\": ..., \"title\": ...}", status=415)
    extracted = await run_in_threadpool(read_bytes, raw, name, meta, kind, None, None, MAX_SOURCE_BYTES)
    return extracted, replace


def _parse_json(raw: bytes) -> AddText:
    """The JSON body as AddText, or a 422 in the one error shape."""
    try:
        return AddText.model_validate(json.loads(raw or b"null"))
    except (ValueError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise BadQuestion("invalid_request", f"{where}: {first.get('msg', 'invalid JSON')}") from exc


def mount_admin(app: FastAPI, settings: Settings) -> None:
    """Add the admin routes and the background build runner to the app."""
    runner = BuildRunner(settings, lambda: app.state.qa)
    app.state.build_runner = runner
    admin = [Depends(admin_guard(settings))]

    @app.post("/sources", status_code=201, dependencies=admin, openapi_extra=ADD_DOC,
              summary="Add an article (file upload or JSON text); admin token required")
    async def add_source_route(request: Request) -> dict[str, object]:
        extracted, replace = await read_source(request)
        result = await run_in_threadpool(add_source, settings, extracted, replace)
        return result.to_dict()

    @app.delete("/sources/{source_id}", dependencies=admin, summary="Remove an article; admin token required")
    def remove_source_route(source_id: str) -> dict[str, object]:
        remove_source(settings, source_id)
        return {"id": source_id, "removed": True, "next": NEXT_STEP}

    @app.post("/index", status_code=202, dependencies=admin,
              summary="Rebuild the index in the background (?full=true from scratch); admin token required")
    def start_build(full: bool = False) -> dict[str, Any]:
        return runner.start(full)

    @app.get("/index", summary="The background build's state and report, the current and kept versions")
    def build_status() -> dict[str, Any]:
        return runner.status()

