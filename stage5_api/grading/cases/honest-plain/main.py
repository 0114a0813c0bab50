"""Prediction API — the plain way: a sync route (FastAPI runs it in its threadpool)."""

import os
import time
from contextlib import asynccontextmanager

import numpy as np
from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import HTMLResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

N_FEATURES = 10
MODEL_VERSION = "1"
REQUESTS = Counter("api_requests_total", "Prediction requests by status", ["status"])
LATENCY = Histogram("api_request_latency_seconds", "Time spent in /predict")
state: dict = {}


def train_model() -> LogisticRegression:
    X, y = make_classification(n_samples=2000, n_features=N_FEATURES, random_state=0)
    return LogisticRegression(max_iter=500).fit(X, y)


@asynccontextmanager
async def lifespan(app: FastAPI):
    state["model"] = train_model()  # once per worker, before the first request
    yield
    state.clear()


app = FastAPI(title="ML Prediction API", version="1.0.0", lifespan=lifespan)


class PredictionRequest(BaseModel):
    features: list[float]
    model_version: str | None = "latest"


class PredictionResponse(BaseModel):
    prediction: float
    confidence: float
    model_version: str
    processing_time_ms: float


@app.post("/predict", response_model=PredictionResponse)
def predict(request: PredictionRequest) -> PredictionResponse:
    start = time.perf_counter()
    if len(request.features) != N_FEATURES:
        REQUESTS.labels("422").inc()
        raise HTTPException(422, f"expected {N_FEATURES} features, got {len(request.features)}")
    model = state.get("model")
    if model is None:
        REQUESTS.labels("503").inc()
        raise HTTPException(503, "model not loaded yet")
    proba = model.predict_proba(np.asarray([request.features]))[0]
    label = int(proba.argmax())
    elapsed = time.perf_counter() - start
    LATENCY.observe(elapsed)
    REQUESTS.labels("200").inc()
    return PredictionResponse(
        prediction=float(label),
        confidence=float(proba[label]),
        model_version=MODEL_VERSION,
        processing_time_ms=elapsed * 1000,
    )


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "model_loaded": "model" in state}


@app.get("/metrics")
def metrics() -> Response:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several workers: sum their files
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


DASHBOARD = """<!doctype html>
<html><head><meta charset="utf-8"><title>ML API</title>
<style>body{font-family:sans-serif;margin:2em} .v{font-size:2em}</style></head>
<body><h1>ML Prediction API</h1>
<p>Requests: <span class="v" id="total">-</span></p>
<p>Requests per second: <span class="v" id="rps">-</span></p>
<p>Mean latency (ms): <span class="v" id="mean">-</span></p>
<script>
let last = null;
function value(text, name) {
  let sum = 0;
  for (const line of text.split("\\n")) {
    if (line.startsWith(name)) sum += parseFloat(line.split(" ").pop());
  }
  return sum;
}
async function poll() {
  const text = await (await fetch("metrics")).text();
  const total = value(text, "api_requests_total");
  const count = value(text, "api_request_latency_seconds_count");
  const sum = value(text, "api_request_latency_seconds_sum");
  document.getElementById("total").textContent = total;
  if (last !== null) document.getElementById("rps").textContent = (total - last).toFixed(0);
  if (count) document.getElementById("mean").textContent = (1000 * sum / count).toFixed(2);
  last = total;
}
poll();
setInterval(poll, 1000);
</script></body></html>
"""


@app.get("/dashboard", response_class=HTMLResponse)
def dashboard() -> str:
    return DASHBOARD
