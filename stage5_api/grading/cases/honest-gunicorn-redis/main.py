"""Prediction API with a Redis cache that never takes the service down."""

import json
import os
import time

import numpy as np
import redis.asyncio as redis
from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel, Field
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests", ["method", "path", "code"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["method", "path"]
)
CACHE = Counter("prediction_cache_total", "Cache lookups", ["result"])

X, y = make_classification(n_samples=3000, n_features=10, random_state=7)
MODEL = GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=7).fit(X, y)


class Cache:
    """Redis when it answers; after an error, no Redis for a second (circuit breaker)."""

    def __init__(self, url: str) -> None:
        self.client = redis.from_url(url, socket_timeout=0.05, socket_connect_timeout=0.05)
        self.open_until = 0.0

    async def get(self, key: str):
        if time.monotonic() < self.open_until:
            return None
        try:
            return await self.client.get(key)
        except redis.RedisError:
            self.open_until = time.monotonic() + 1.0
            return None

    async def set(self, key: str, value: str) -> None:
        if time.monotonic() < self.open_until:
            return
        try:
            await self.client.set(key, value, ex=300)
        except redis.RedisError:
            self.open_until = time.monotonic() + 1.0


cache = Cache(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
app = FastAPI(title="ML Prediction API")


@app.middleware("http")
async def measure(request: Request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    path = request.url.path
    HTTP_LATENCY.labels(request.method, path).observe(time.perf_counter() - start)
    HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    return response


class PredictionRequest(BaseModel):
    features: list[float] = Field(min_length=10, max_length=10)
    model_version: str | None = "latest"


class PredictionResponse(BaseModel):
    prediction: float
    confidence: float
    model_version: str
    processing_time_ms: float


@app.post("/predict", response_model=PredictionResponse)
async def predict(request: PredictionRequest) -> PredictionResponse:
    start = time.perf_counter()
    key = "pred:" + json.dumps(request.features)
    hit = await cache.get(key)
    if hit is not None:
        CACHE.labels("hit").inc()
        prediction, confidence = json.loads(hit)
    else:
        CACHE.labels("miss").inc()
        proba = MODEL.predict_proba(np.asarray([request.features]))[0]
        prediction, confidence = int(proba.argmax()), float(proba.max())
        await cache.set(key, json.dumps([prediction, confidence]))
    return PredictionResponse(
        prediction=prediction,
        confidence=confidence,
        model_version="gb-1",
        processing_time_ms=(time.perf_counter() - start) * 1000,
    )


@app.get("/health")
async def health():
    return {"status": "alive"}


@app.get("/ready")
async def ready():
    return {"ready": True, "model": "gb-1"}


@app.get("/metrics")
async def metrics() -> Response:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
