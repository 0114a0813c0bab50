"""``GET /health`` (liveness) and ``GET /ready`` (readiness) for probes and load balancers."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Response, status

from stage5_api.api.deps import ServiceDep
from stage5_api.errors import Stage5Error
from stage5_api.models import HealthPublic, ReadinessPublic

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
async def health_check() -> HealthPublic:
    """The process is alive (no dependency is checked: a Redis outage must not restart pods)."""
    return HealthPublic()


@router.get(
    "/ready",
    response_model=ReadinessPublic,
    responses={503: {"model": ReadinessPublic, "description": "not ready: no model loaded yet"}},
)
async def readiness(service: ServiceDep, response: Response) -> ReadinessPublic:
    """503 until the model is loaded; Redis down means ready but degraded (the cache is skipped)."""
    redis = "disabled"
    if service.settings.redis_url:
        redis = "ok" if await service.cache.ping() else "down"
    if service.ready:
        # a stale default re-resolves in the background; one the registry no longer knows (the
        # alias was deleted) leaves no default, and the service is not ready until there is one
        with contextlib.suppress(Stage5Error):
            await service.models.get(None)
    default = service.models.default
    ready = service.ready and default is not None
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadinessPublic(
        ready=ready,
        model_loaded=default is not None,
        model_version=default.version if default else None,
        redis=redis,
        degraded=redis == "down",
    )
