"""GET /library: the corpus as the library page lists it (HTML for a browser, JSON otherwise)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..sources import list_sources
from ..web import render_library
from .deps import SettingsDep, TemplatesDep
from .errors import wants_html
from .models import LibraryOut, LibraryRow, errors

router = APIRouter(tags=["library"])


@router.get(
    "/library",
    summary="The corpus: each article's citation, passages and indexed state",
    response_model=LibraryOut,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "JSON, or the library page for Accept: text/html",
        },
        **errors(400),
    },
)
async def library(
    request: Request,
    settings: SettingsDep,
    templates: TemplatesDep,
    format: Annotated[str | None, Query(description="json to get JSON whatever Accept says", max_length=10)] = None,
) -> Response:
    """Every corpus article, indexed / changed / not indexed, and every indexed one since removed."""
    rows = [LibraryRow(**r.to_dict()) for r in await run_in_threadpool(list_sources, settings)]
    in_corpus = sum(not r.status.startswith("removed") for r in rows)
    body = LibraryOut(sources=rows, count=in_corpus, editable=bool(settings.admin_token))
    if wants_html(request):
        return render_library(request, templates, body.model_dump())
    return Response(body.model_dump_json(), media_type="application/json")
