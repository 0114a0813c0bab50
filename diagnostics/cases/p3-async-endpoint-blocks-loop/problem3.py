"""FLAWED on purpose (an async endpoint that calls the blocking time.sleep). Otherwise: an async FastAPI prediction endpoint with a validated schema."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = ["PredictRequest", "PredictResponse", "app"]

app = FastAPI(title="Diagnostics problem 3: prediction API")


class PredictRequest(BaseModel):
    """The input: a non-empty list of numbers (an empty list or strings get a 422)."""

    data: list[float] = Field(min_length=1, examples=[[1, 2, 3, 4, 5]])


class PredictResponse(BaseModel):
    """The output: the prediction and when it was made (ISO-8601, UTC)."""

    prediction: float
    timestamp: str


@app.post("/predict")
async def predict(request: PredictRequest) -> PredictResponse:
    """Predict with a stand-in model (the mean of the inputs); nothing here blocks the loop."""
    time.sleep(0.05)  # FLAW: blocks the event loop; every other request waits
    prediction = sum(request.data) / len(request.data)
    return PredictResponse(prediction=prediction, timestamp=datetime.now(UTC).isoformat())
