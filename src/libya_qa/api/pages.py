"""The page at / : GET (with ?q= and ?h= an answer rendered on the server) and the plain form POST."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ..schema import Filters
from ..web import render_page
from .deps import GateDep, QADep, TemplatesDep

router = APIRouter(include_in_schema=False)


Many = Annotated[list[str], Query()]


@router.get("/", response_class=HTMLResponse)
async def index(
    request: Request,
    qa: QADep,
    templates: TemplatesDep,
    gate: GateDep,
    q: str = "",
    h: Many = [],  # noqa: B006 (FastAPI copies defaults)
    source: Many = [],  # noqa: B006 (FastAPI copies defaults)
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> HTMLResponse:
    """The page; with ?q= (?h= earlier questions, ?source= ?from= ?to= filters) the answer is rendered here."""
    filters = Filters(tuple(s for s in source if s), date_from=date_from.strip(), date_to=date_to.strip())
    if not q:
        return await run_in_threadpool(render_page, request, templates, qa, filters=filters)
    return await gate.answer(render_page, request, templates, qa, q, h, None, filters)


@router.post("/", response_class=HTMLResponse)
async def index_post(
    request: Request,
    qa: QADep,
    templates: TemplatesDep,
    gate: GateDep,
    question: Annotated[str, Form()] = "",
    source: Annotated[list[str], Form()] = [],  # noqa: B006
    date_from: Annotated[str, Form(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Form(alias="to", max_length=10)] = "",
) -> HTMLResponse:
    """The plain form post (JavaScript off): one question, answered on the server, with the panel's filters."""
    filters = Filters(tuple(s for s in source if s), date_from=date_from.strip(), date_to=date_to.strip())
    return await gate.answer(
        render_page, request, templates, qa, question if question.strip() else " ", (), None, filters
    )
