"""The bytes of ``/predict``'s answers, built in one place for the route and the fast path."""

from __future__ import annotations

import time

import orjson

from stage5_api.errors import Overloaded
from stage5_api.services.batcher import Prediction

__all__ = ["OVERLOADED_BODY", "overloaded_headers", "prediction_body"]

OVERLOADED_BODY = orjson.dumps({"detail": "overloaded: retry later"})


def prediction_body(result: Prediction, version: str, started: float) -> bytes:
    """The 200 body: prediction, confidence, the version that answered, server time in ms."""
    return orjson.dumps(
        {
            "prediction": result.prediction,
            "confidence": result.confidence,
            "model_version": version,
            "processing_time_ms": (time.perf_counter() - started) * 1000,
        }
    )


def overloaded_headers(exc: Overloaded) -> dict[str, str]:
    """The 503's headers: when to come back."""
    return {"Retry-After": str(exc.retry_after_s)}
