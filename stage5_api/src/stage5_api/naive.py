"""The roadmap's naive endpoint, kept as the benchmark's baseline: one model call per request.

No batching, no cache, no admission control, default JSON response: what most first versions
look like. ``uvicorn stage5_api.naive:app``; ``STAGE5_BUNDLED_MODEL=forest`` serves the random
forest instead of the logistic regression, as the service does.
"""

from __future__ import annotations

import time

import numpy as np
from fastapi import FastAPI

from stage5_api.core.config import get_settings
from stage5_api.models import PredictionRequest, PredictionResponse
from stage5_api.services.bundled_model import BUNDLED_VERSION, train_bundled_model

__all__ = ["app"]

app = FastAPI(title="Naive ML Prediction API", version="0.0.1")
_model = train_bundled_model(get_settings().bundled_model)


@app.post("/predict", response_model=PredictionResponse)
async def predict(request: PredictionRequest) -> PredictionResponse:
    """Predict one row with its own model call."""
    started = time.perf_counter()
    proba = _model.predict_proba(np.asarray([request.features]))[0]
    best = int(proba.argmax())
    return PredictionResponse(
        prediction=float(_model.classes_[best]),
        confidence=float(proba[best]),
        model_version=BUNDLED_VERSION,
        processing_time_ms=(time.perf_counter() - started) * 1000,
    )


@app.get("/health")
async def health_check() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
