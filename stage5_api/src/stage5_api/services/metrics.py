"""Prometheus metrics of the service; multi-worker safe when PROMETHEUS_MULTIPROC_DIR is set.

With several uvicorn workers each process counts on its own; prometheus-client's multiprocess
mode (the variable set before start) sums them so ``/metrics`` shows the whole server.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["CONTENT_TYPE_LATEST", "ServiceMetrics"]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
GC_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class ServiceMetrics:
    """Every metric the service exports, registered in its own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "stage5_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "stage5_http_request_duration_seconds",
            "Server-side request latency by route and status",
            ["route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "stage5_in_flight_requests",
            "Requests being handled now (an HPA can scale on it)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.queue_depth = Gauge(
            "stage5_queue_depth",
            "Predictions waiting in the micro-batching queue",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.batch_size = Histogram(
            "stage5_batch_size", "Rows per model call", buckets=BATCH_BUCKETS, registry=r
        )
        self.predictions = Counter(
            "stage5_predictions", "Rows predicted, by model version", ["model_version"], registry=r
        )
        self.cache_hits = Counter("stage5_cache_hits", "Predictions served from Redis", registry=r)
        self.cache_misses = Counter(
            "stage5_cache_misses", "Predictions not found in Redis", registry=r
        )
        self.cache_errors = Counter(
            "stage5_cache_errors",
            "Redis calls that failed (service answered without cache)",
            registry=r,
        )
        self.redis_up = Gauge(
            "stage5_redis_up",
            "1 when Redis answered last time",
            registry=r,
            multiprocess_mode="min",
        )
        self.model_info = Gauge(
            "stage5_model_info",
            "1 for each model version loaded",
            ["model_version"],
            registry=r,
            multiprocess_mode="max",
        )
        self.errors = Counter(
            "stage5_errors",
            "Errors by kind (overloaded, not_found, validation, internal)",
            ["kind"],
            registry=r,
        )
        self.gc_pause = Histogram(
            "stage5_gc_pause_seconds",
            "Garbage-collector pauses (every request in flight waits through each one)",
            ["generation"],
            buckets=GC_BUCKETS,
            registry=r,
        )
        self.jobs = Counter(
            "stage5_batch_jobs", "Batch jobs by final status", ["status"], registry=r
        )

    def render(self) -> bytes:
        """The Prometheus text exposition, summed over workers in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
