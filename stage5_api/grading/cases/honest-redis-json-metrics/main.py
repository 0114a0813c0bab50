"""Prediction API whose metrics live in Redis, so every worker and replica adds to one count."""

import os
import time

import numpy as np
import redis
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

X, y = make_classification(n_samples=1000, n_features=10, random_state=3)
MODEL = DecisionTreeClassifier(max_depth=6, random_state=3).fit(X, y)
store = redis.Redis.from_url(
    os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
    socket_timeout=0.2,
    socket_connect_timeout=0.2,
)
PREFIX = "mlapi:metrics:"

app = FastAPI(title="ML Prediction API")


class PredictionRequest(BaseModel):
    features: list[float]
    model_version: str | None = "latest"


class PredictionResponse(BaseModel):
    prediction: float
    confidence: float
    model_version: str
    processing_time_ms: float


def record(elapsed_ms: float) -> None:
    """Count the request in Redis; metrics must never fail a prediction."""
    try:
        pipe = store.pipeline()
        pipe.incr(PREFIX + "requests")
        pipe.incrbyfloat(PREFIX + "latency_ms_sum", elapsed_ms)
        pipe.execute()
    except redis.RedisError:
        pass


@app.post("/predict", response_model=PredictionResponse)
def predict(request: PredictionRequest) -> PredictionResponse:
    start = time.perf_counter()
    proba = MODEL.predict_proba(np.asarray([request.features]))[0]
    label = int(np.argmax(proba))
    elapsed_ms = (time.perf_counter() - start) * 1000
    record(elapsed_ms)
    return PredictionResponse(
        prediction=label,
        confidence=float(proba[label]),
        model_version="tree-1",
        processing_time_ms=elapsed_ms,
    )


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/metrics")
def metrics() -> dict[str, object]:
    try:
        requests, latency_sum = store.mget(
            PREFIX + "requests", PREFIX + "latency_ms_sum"
        )
    except redis.RedisError:
        return {"redis": "down"}
    count = int(requests or 0)
    total = float(latency_sum or 0.0)
    return {
        "predict": {"requests": count, "latency_ms": {"count": count, "sum": total}},
        "redis": "up",
    }


PAGE = """<!doctype html><meta charset="utf-8"><title>ML API</title>
<h1>Predictions</h1>
<div>total: <b id="n">…</b></div>
<div>mean latency: <b id="ms">…</b> ms</div>
<script>
async function tick() {
  const m = await (await fetch("/metrics")).json();
  const p = m.predict || {requests: 0, latency_ms: {count: 0, sum: 0}};
  document.getElementById("n").textContent = p.requests;
  const c = p.latency_ms.count;
  document.getElementById("ms").textContent = c ? (p.latency_ms.sum / c).toFixed(3) : "-";
}
tick();
setInterval(tick, 1000);
</script>
"""


@app.get("/dashboard", response_class=HTMLResponse)
def dashboard() -> str:
    return PAGE
