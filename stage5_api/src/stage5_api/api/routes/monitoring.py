"""``GET /metrics`` (Prometheus text) and ``GET /dashboard`` (a live page built on it)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from stage5_api.api.deps import ServiceDep
from stage5_api.services.metrics import CONTENT_TYPE_LATEST

__all__ = ["router"]

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", include_in_schema=False)
async def metrics(service: ServiceDep) -> Response:
    """Everything Prometheus scrapes; the queue depth is refreshed at scrape time."""
    return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """A self-contained page that polls ``/metrics`` every second and charts it."""
    html = files("stage5_api").joinpath("static/dashboard.html").read_text(encoding="utf-8")
    return HTMLResponse(html)
