"""GET /sources and GET /sources/{id}: the articles, each as any kept index version stored it."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from ..citations import MEDIA_TYPES, STYLES, cite
from ..errors import BadQuestion, Gone, NotFound
from ..index import VERSION_NAME
from ..qa import QA
from ..schema import Article
from ..store import Store
from ..web import SourceView, render_source
from .deps import QADep, TemplatesDep
from .errors import wants_html
from .models import SourceDetail, SourceList, SourceListItem, errors

router = APIRouter(tags=["sources"])
KEPT_VERSIONS_CACHED = 2  # older versions read back for quote checks, kept in memory


@router.get("/sources", summary="The indexed articles", responses=errors())
def list_sources(qa: QADep) -> SourceList:
    """Every article of the served version with its citation and passage count."""
    items = [SourceListItem(**e.source.to_dict(), passages=e.passages) for e in qa.articles()]
    return SourceList(sources=items, count=len(items))


@router.get(
    "/sources/{source_id}",
    summary="One article: metadata and the body quotes are cut from",
    response_model=SourceDetail,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "JSON, or the viewer page for Accept: text/html",
        },
        **errors(404, 410, 422),
    },
)
def source(
    source_id: str,
    request: Request,
    qa: QADep,
    templates: TemplatesDep,
    version: Annotated[
        str | None,
        Query(
            description="An index version (an answer's index_version); default the current one",
            pattern=VERSION_NAME.pattern,
        ),
    ] = None,
    start: Annotated[str | None, Query(description="Quote start, for the viewer", max_length=20)] = None,
    end: Annotated[str | None, Query(description="Quote end, for the viewer", max_length=20)] = None,
    format: Annotated[str | None, Query(description="json to get JSON whatever Accept says", max_length=10)] = None,
) -> Response:
    """The article as `version` stored it; 410 when that version is no longer kept."""
    view = source_view(qa, source_id, version)
    current = qa.loaded.snapshot.version
    if wants_html(request):
        return render_source(request, templates, view, current)
    article = view.article
    detail = SourceDetail(
        **article.source.to_dict(),
        passages=view.passages,
        notes=article.notes,
        sha256=article.sha256,
        body=article.body,
        version=view.version,
        changed_since=view.changed_since,
    )
    return JSONResponse(detail.model_dump())


@router.get(
    "/sources/{source_id}/cite",
    summary="The citation of an article in one style, as text",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                **{t: {"schema": {"type": "string"}} for t in MEDIA_TYPES.values()},
            },
            "description": "The citation (csl-json: a JSON array of one CSL item)",
        },
        **errors(404, 422),
    },
)
async def cite_source(
    source_id: str,
    qa: QADep,
    style: Annotated[
        str, Query(description=f"One of {', '.join(STYLES)}", json_schema_extra={"enum": list(STYLES)}, max_length=20)
    ] = "apa",
) -> PlainTextResponse:
    """APA, MLA and Chicago (author-date) from the CSL styles; BibTeX, RIS or CSL-JSON for reference managers."""
    article, _ = qa.article(source_id)
    text = await run_in_threadpool(cite, article.source, style)
    return PlainTextResponse(text, media_type=f"{MEDIA_TYPES.get(style, 'text/plain')}; charset=utf-8")


def source_view(qa: QA, source_id: str, version: str | None) -> SourceView:
    """One article from the served version, or from an older kept one (compared with the current text)."""
    served = qa.loaded.snapshot
    current, passages = _current(qa, source_id)
    if not version or version == served.version:
        if current is None:
            raise NotFound("unknown_source", f"no source with id {source_id!r}; GET /sources lists them")
        return SourceView(current, passages, served.version, False)
    if not VERSION_NAME.match(version):  # the route checks it too; other callers may not
        raise BadQuestion("invalid_request", "version: not an index version name (answers give it as index_version)")
    if version not in qa.store.versions():
        raise Gone(
            "version_gone",
            f"index version {version} is no longer kept (the last "
            f"{qa.settings.keep_versions} are, LIBYA_QA_KEEP_VERSIONS), so its text of this article cannot "
            f"be shown; the current text is at /sources/{source_id}",
        )
    old = _kept_articles(qa.store, version).get(source_id)
    if old is None:
        raise NotFound("unknown_source", f"index version {version} has no source with id {source_id!r}")
    changed = current is None or current.sha256 != old.sha256
    return SourceView(old, passages, version, changed)


def _current(qa: QA, source_id: str) -> tuple[Article | None, int]:
    """The served version's article and passage count, or (None, 0)."""
    try:
        return qa.article(source_id)
    except NotFound:
        return None, 0


@lru_cache(maxsize=KEPT_VERSIONS_CACHED)
def _kept_articles(store: Store, version: str) -> dict[str, Article]:
    """A kept version's articles by id (a version never changes once written, so caching is safe)."""
    return {a.id: a for a in store.version_articles(version)}
