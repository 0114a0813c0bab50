"""FLAWED on purpose (keeps the request's data in a module-level variable across an await). Otherwise: an async FastAPI prediction endpoint with a validated schema."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = ["PredictRequest", "PredictResponse", "app"]

app = FastAPI(title="Diagnostics problem 3: prediction API")
_last: dict[str, list[float]] = {}


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
    _last["data"] = request.data  # FLAW: shared by every request in flight
    await asyncio.sleep(0.01)  # e.g. awaiting a feature store
    data = _last["data"]
    prediction = sum(data) / len(data)
    return PredictResponse(prediction=prediction, timestamp=datetime.now(UTC).isoformat())
