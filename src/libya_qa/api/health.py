"""GET /healthz (the version served, the watcher) and GET /metrics (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import __version__
from .deps import ServicesDep
from .errors import public
from .models import ErrorBody, HealthOut, WatcherOut, errors

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    summary="The index being served and whether new versions are picked up",
    response_model=HealthOut,
    responses={
        **errors(),
        503: {
            "model": HealthOut | ErrorBody,
            "description": "The index watcher has stopped, or the server is starting",
        },
    },
)
def healthz(services: ServicesDep) -> Response:
    """ok, or degraded when the newest version does not load or the watcher fails (503 once it has stopped)."""
    qa, watcher = services.qa, services.watcher.status()
    data = qa.loaded.snapshot
    counts = data.manifest.get("counts", {})
    settings = services.settings
    reload_error = public(qa.last_reload_error, settings) or None
    health = HealthOut(
        status="ok" if watcher.state == "running" and not reload_error else "degraded",
        version=__version__,
        index_version=data.version,
        articles=int(counts.get("articles", 0)),
        passages=int(counts.get("passages", 0)),
        model=data.manifest.get("model"),
        reload_error=reload_error,
        watcher=WatcherOut(
            state=watcher.state,
            last_poll=watcher.last_poll,
            error=public(watcher.error, settings) if watcher.error else None,
        ),
    )
    if watcher.state == "stopped":
        return JSONResponse(health.model_dump(), status_code=503)
    return JSONResponse(health.model_dump())


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
            "description": "Prometheus text format",
        },
        **errors(),
    },
)
def metrics(services: ServicesDep) -> Response:
    """Requests, latency, answers, the index served, reload failures, builds and shed requests."""
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
