"""Admin routes: add, preview, edit and remove sources, rebuild the index in the background, roll back.

POST /sources, POST /sources/preview, PATCH and DELETE /sources/{id}, POST /index and POST /index/rollback
need `Authorization: Bearer <LIBYA_QA_ADMIN_TOKEN>`; with no token configured they answer 403.
GET /index and GET /index/events (build state and progress, versions) are open like /healthz.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..admin import BuildRunner, BuildState
from ..config import Settings
from ..errors import IngestError
from ..ingest import CONTENT_TYPES, MAX_SOURCE_BYTES, Extracted, Metadata, fetch_url, read_bytes
from ..sources import NEXT_STEP, add_source, edit_metadata, remove_source
from .deps import AdminDep, RunnerDep, SettingsDep
from .errors import public
from .models import (
    AddedOut,
    AddText,
    BuildReportOut,
    BuildStatusOut,
    EditedOut,
    ErrorDetail,
    MetadataPatch,
    PreviewOut,
    RemovedOut,
    RollbackOut,
    SourceOut,
    errors,
)

FORM_FIELDS = ("title", "author", "publisher", "date", "url", "id")
EVENT_POLL_SECONDS = 0.2  # how often the event stream looks at the build's state
PREVIEW_CHARS = 600
ADD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a .txt, .md, .html or .pdf file",
                        },
                        **{name: {"type": "string"} for name in FORM_FIELDS},
                        "replace": {"type": "boolean"},
                    },
                }
            },
            "application/json": {"schema": AddText.model_json_schema()},
        },
    }
}

router = APIRouter(tags=["admin"])


@router.post(
    "/sources",
    status_code=201,
    dependencies=[AdminDep],
    openapi_extra=ADD_DOC,
    summary="Add an article (file upload or JSON text); admin token required",
    responses=errors(400, 401, 403, 409, 413, 415, 422, 502, 507),
)
async def add_source_route(request: Request, settings: SettingsDep) -> AddedOut:
    """Add one article to the corpus (it is searchable after the next build)."""
    extracted, replace = await read_source(request)
    result = await run_in_threadpool(add_source, settings, extracted, replace)
    return AddedOut.model_validate(result.to_dict())


@router.post(
    "/sources/preview",
    dependencies=[AdminDep],
    openapi_extra=ADD_DOC,
    summary="Extract an article's text and citation without adding it; admin token required",
    responses=errors(400, 401, 403, 413, 415, 422, 502),
)
async def preview_source(request: Request) -> PreviewOut:
    """What POST /sources would write for the same body: the citation to check and correct first."""
    extracted, _ = await read_source(request)
    article = extracted.article
    return PreviewOut(
        source=SourceOut(**article.source.to_dict()),
        missing=list(extracted.missing),
        kind=extracted.kind,
        words=len(article.body.split()),
        excerpt=article.body[:PREVIEW_CHARS],
    )


@router.patch(
    "/sources/{source_id}",
    dependencies=[AdminDep],
    responses=errors(400, 401, 403, 404, 409, 422, 507),
    summary="Change an article's citation (metadata only; nothing is re-embedded); admin token required",
)
def edit_source(source_id: str, body: MetadataPatch, settings: SettingsDep) -> EditedOut:
    """Rewrite the article's header; the next build serves the change without embedding anything."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    edited = edit_metadata(settings, source_id, changes)
    return EditedOut(source=SourceOut(**edited.source.to_dict()), indexed=False, next=NEXT_STEP)


@router.delete(
    "/sources/{source_id}",
    dependencies=[AdminDep],
    responses=errors(401, 403, 404, 409, 507),
    summary="Remove an article; admin token required",
)
def remove_source_route(source_id: str, settings: SettingsDep) -> RemovedOut:
    """Delete an article's corpus file; the next build drops it from the index."""
    remove_source(settings, source_id)
    return RemovedOut(id=source_id, removed=True, next=NEXT_STEP)


@router.post(
    "/index",
    status_code=202,
    dependencies=[AdminDep],
    responses=errors(401, 403, 409, 422),
    summary="Rebuild the index in the background (?full=true from scratch); admin token required",
)
def start_build(runner: RunnerDep, settings: SettingsDep, full: bool = False) -> BuildStatusOut:
    """Start a build; GET /index follows it."""
    return build_status(runner.start(full), runner, settings)


@router.post(
    "/index/rollback",
    dependencies=[AdminDep],
    responses=errors(401, 403, 409),
    summary="Serve the previous index version again; admin token required",
)
def rollback(runner: RunnerDep) -> RollbackOut:
    """Make the newest intact version before the current one current (409 while a build runs)."""
    old, new = runner.rollback()
    return RollbackOut(previous=old, current=new)


@router.get(
    "/index/events",
    summary="The build's state as server-sent events, until it ends",
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "schema": {  # each event: one data field
                        "type": "object",
                        "required": ["data"],
                        "properties": {"data": {"type": "string", "description": "GET /index's JSON body"}},
                    }
                }
            },
            "description": "One `data:` line of GET /index's JSON per change",
        }
    },
)
async def build_events(runner: RunnerDep, settings: SettingsDep) -> StreamingResponse:
    """Stream GET /index's body at each change of stage or percent; the stream ends with the build."""
    return StreamingResponse(
        _events(runner, settings),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(runner: BuildRunner, settings: SettingsDep) -> AsyncIterator[str]:
    """Server-sent events of the build state: sent when it changes, closed once no build runs."""
    last = None
    while True:
        state = runner.snapshot()
        body = build_status(state, runner, settings).model_dump_json()
        if body != last:
            yield f"data: {body}\n\n"
            last = body
        if state.state != "running":
            return
        await asyncio.sleep(EVENT_POLL_SECONDS)


@router.get(
    "/index", summary="The background build's state and report, the current and kept versions", responses=errors(503)
)
def get_build(runner: RunnerDep, settings: SettingsDep) -> BuildStatusOut:
    """The last or running build, and the versions on disk."""
    return build_status(runner.snapshot(), runner, settings)


def build_status(state: BuildState, runner: BuildRunner, settings: Settings) -> BuildStatusOut:
    """GET /index's body, without server paths in any message."""
    store = runner.qa.store
    error = None
    if state.error:
        error = ErrorDetail(code=state.error["code"], message=public(state.error["message"], settings))
    return BuildStatusOut(
        state=state.state,
        stage=state.stage,
        percent=state.percent,
        full=state.full,
        started=state.started,
        finished=state.finished,
        report=BuildReportOut.model_validate(asdict(state.report)) if state.report else None,
        error=error,
        notes=[public(n, settings) for n in state.notes],
        current_version=store.current_version(),
        versions=store.versions(),
        serving_version=runner.qa.loaded.snapshot.version,
    )


async def read_source(request: Request) -> tuple[Extracted, bool]:
    """The uploaded file (multipart) or JSON text of a POST /sources, extracted; and whether to replace."""
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
        replace = _flag(str(form.get("replace", "false")))
    elif content_type.startswith("application/json"):
        body = parse_json(await request.body())
        meta = Metadata(**{k: getattr(body, k) for k in FORM_FIELDS})
        if body.fetch is not None:
            return await run_in_threadpool(fetch_url, body.fetch, meta), body.replace
        raw, name, kind = (body.text or "").encode("utf-8"), "text.md", "markdown"
        replace = body.replace
    else:
        raise IngestError(
            "unsupported_media_type",
            'send a multipart/form-data upload with a `file` field, or JSON {"text": ..., "title": ...}',
            status=415,
        )
    extracted = await run_in_threadpool(read_bytes, raw, name, meta, kind, None, None, MAX_SOURCE_BYTES)
    return extracted, replace


def _flag(value: str) -> bool:
    """A form's boolean, as the schema documents it; anything else is a 422, not a silent false."""
    flags = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
    if value.strip().lower() not in flags:
        raise RequestValidationError(
            [{"type": "bool_parsing", "loc": ("body", "replace"), "msg": "Input should be a valid boolean"}]
        )
    return flags[value.strip().lower()]


def parse_json(raw: bytes) -> AddText:
    """The JSON body as AddText; a bad body goes to the one handler as a validation error."""
    try:
        body = AddText.model_validate(json.loads(raw or b"null"))
        if (body.text is None) == (body.fetch is None):
            raise IngestError(
                "invalid_request",
                "text: send the article as `text`, or an address to fetch as `fetch` (one of the two)",
                status=422,
            )
        for value in body.model_dump().values():
            if isinstance(value, str):
                value.encode("utf-8")  # a lone surrogate ("\\ud800") is valid JSON but not text
        return body
    except UnicodeEncodeError:
        raise IngestError(
            "undecodable_text", "the body holds a lone surrogate (\\ud800-\\udfff), which is not text; send UTF-8 text"
        ) from None
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_input=False)) from None
    except ValueError as exc:  # not JSON (or not UTF-8)
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "ctx": {"error": str(exc)[:200]}}]
        ) from None
