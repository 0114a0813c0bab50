"""FLAWED on purpose (the timestamp is seconds since the epoch, not ISO-8601). Otherwise: an async FastAPI prediction endpoint with a validated schema."""

from __future__ import annotations

import time

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
    prediction = sum(request.data) / len(request.data)
    return PredictResponse(
        prediction=prediction,
        timestamp=str(time.time()),  # FLAW: not ISO-8601
    )
