"""The page at / : GET (with ?q= and ?h= an answer rendered on the server) and the plain form POST."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ..web import render_page
from .deps import GateDep, QADep, TemplatesDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, qa: QADep, templates: TemplatesDep, gate: GateDep, q: str = "",
                h: Annotated[list[str], Query()] = []) -> HTMLResponse:  # noqa: B006 (FastAPI copies defaults)
    """The page; with ?q= (and ?h= earlier questions) the answer is rendered here, no JavaScript needed."""
    if not q:
        return await run_in_threadpool(render_page, request, templates, qa)
    async with gate.slot():
        return await run_in_threadpool(render_page, request, templates, qa, q, h)


@router.post("/", response_class=HTMLResponse)
async def index_post(request: Request, qa: QADep, templates: TemplatesDep, gate: GateDep,
                     question: Annotated[str, Form()] = "") -> HTMLResponse:
    """The plain form post (JavaScript off): one question, answered on the server."""
    async with gate.slot():
        return await run_in_threadpool(render_page, request, templates, qa, question if question.strip() else " ")
