"""POST /ask: the JSON API's one question."""

from __future__ import annotations

from fastapi import APIRouter, Request

from .deps import GateDep, QADep
from .models import AnswerOut, AskRequest, errors

router = APIRouter(tags=["ask"])


@router.post("/ask", summary="Answer a question with verbatim, cited excerpts", responses=errors(400, 413, 422, 503))
async def ask(body: AskRequest, request: Request, qa: QADep, gate: GateDep) -> AnswerOut:
    """Answer with excerpts that are exact substrings of the stored articles (or say not_found)."""
    filters = body.filters.to_filters() if body.filters else None
    # a fast 503 past capacity, never a long queue
    answer = await gate.answer(qa.ask, body.question, body.top_k, body.history, filters, body.group)
    request.state.answer_status = answer.status
    return AnswerOut.model_validate(answer.to_dict())
