"""FastAPI app factory: one HTTP edge over QA (routers, typed dependencies, one error handler, limits, metrics)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from . import __version__, slots
from .admin import BuildRunner
from .api import admin, ask, edge, errors, health, library, pages, sources
from .api.deps import Services
from .api.gate import Gate
from .api.metrics import Metrics
from .api.watch import IndexWatcher
from .config import Settings
from .encoders import limit_threads
from .qa import QA
from .web import make_templates

RELOAD_SECONDS = 1.0  # how often the server looks for a new current index version


def create_app(settings: Settings | None = None, qa: QA | None = None) -> FastAPI:
    """Build the app; the models and the index load once, at start-up (or come in ready-made)."""
    settings = settings or Settings.from_env()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_threads(settings.serve_threads)
        ready = qa or await asyncio.to_thread(QA, settings)
        await asyncio.to_thread(slots.parser)  # spaCy's parser (2 s) at start-up, not on the first which-question
        services = Services(
            settings=settings,
            qa=ready,
            runner=BuildRunner(settings, ready),
            gate=Gate(settings.concurrent_limit, settings.queue_limit, settings.serve_threads),
            watcher=IndexWatcher(ready, RELOAD_SECONDS),
            templates=make_templates(settings),
            metrics=metrics,
        )
        metrics.watch(services)
        app.state.services = services
        services.watcher.start()
        yield
        await services.watcher.stop()

    app = FastAPIOffline(
        title="libya_qa",
        version=__version__,
        lifespan=lifespan,
        description="Verbatim, cited excerpts from a curated corpus about Libya since 2011. "
        'Every error has the shape {"error": {"code", "message"}}.',
    )
    app.state.settings = settings
    errors.install(app)
    for module in (ask, sources, admin, library, health, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(settings.web_dir / "static")), name="static")
    edge.install(app, settings, metrics)
    return app
