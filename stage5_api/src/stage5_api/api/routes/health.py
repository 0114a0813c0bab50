"""``GET /health`` (liveness) and ``GET /ready`` (readiness) for probes and load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from stage5_api.api.deps import ServiceDep
from stage5_api.models import HealthPublic, ReadinessPublic

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
async def health_check() -> HealthPublic:
    """The process is alive (no dependency is checked: a Redis outage must not restart pods)."""
    return HealthPublic()


@router.get("/ready", response_model=ReadinessPublic)
async def readiness(service: ServiceDep, response: Response) -> ReadinessPublic:
    """503 until the model is loaded; Redis down means ready but degraded (the cache is skipped)."""
    redis = "disabled"
    if service.settings.redis_url:
        redis = "ok" if await service.cache.ping() else "down"
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
