"""Typed dependencies: what a handler needs, declared in its signature (the FastAPI template's api/deps.py)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from ..admin import BuildRunner
from ..config import Settings
from ..errors import AdminDisabled, IndexUnavailable, Unauthorized
from ..qa import QA
from .gate import Gate
from .metrics import Metrics
from .watch import IndexWatcher

# Every dependency is `async def` on purpose: FastAPI runs a plain `def` dependency on the thread pool, and
# under load those hops queue behind the questions being answered, so even a 503 would wait for a thread.


@dataclass(frozen=True)
class Services:
    """Everything the handlers use, made once at start-up and kept on app.state.services."""

    settings: Settings
    qa: QA
    runner: BuildRunner
    gate: Gate
    watcher: IndexWatcher
    templates: Jinja2Templates
    metrics: Metrics


async def get_services(request: Request) -> Services:
    """The app's services (a 503 before start-up has finished)."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise IndexUnavailable("starting", "the server is still starting; try again in a few seconds")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
    """The settings the server runs with."""
    return services.settings


async def get_qa(services: ServicesDep) -> QA:
    """The question answerer over the current index version."""
    return services.qa


async def get_runner(services: ServicesDep) -> BuildRunner:
    """The background index builder."""
    return services.runner


async def get_gate(services: ServicesDep) -> Gate:
    """Admission control for the work of answering."""
    return services.gate


async def get_templates(services: ServicesDep) -> Jinja2Templates:
    """The page templates."""
    return services.templates


async def require_admin(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """Let a request through only with the configured bearer token (403 when none is configured)."""
    if not settings.admin_token:
        raise AdminDisabled(
            "admin_disabled",
            "admin endpoints are off: set LIBYA_QA_ADMIN_TOKEN to a secret, "
            "restart the server and send `Authorization: Bearer <token>`",
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.admin_token.encode()):
        raise Unauthorized(
            "unauthorized",
            "missing or wrong admin token: send `Authorization: Bearer <token>` with the value of LIBYA_QA_ADMIN_TOKEN",
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
QADep = Annotated[QA, Depends(get_qa)]
RunnerDep = Annotated[BuildRunner, Depends(get_runner)]
GateDep = Annotated[Gate, Depends(get_gate)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
AdminDep = Depends(require_admin)
