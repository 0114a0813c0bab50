"""Count every request and time it, labelled by route template and status."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stage5_api.services.metrics import ServiceMetrics

__all__ = ["RequestMetricsMiddleware"]


class RequestMetricsMiddleware:
    """Requests by route/method/status, a latency histogram, and the in-flight gauge.

    The route label is the matched path template (``/jobs/{job_id}``), never the raw path, so
    label cardinality stays bounded.
    """

    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            code = str(status)
            self.metrics.requests.labels(label, scope["method"], code).inc()
            self.metrics.latency.labels(label, code).observe(time.perf_counter() - started)
