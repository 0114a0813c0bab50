"""FLAWED on purpose (no minimum length on data; an empty list is answered with 0.0). Otherwise: an async FastAPI prediction endpoint with a validated schema."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = ["PredictRequest", "PredictResponse", "app"]

app = FastAPI(title="Diagnostics problem 3: prediction API")


class PredictRequest(BaseModel):
    """The input: a non-empty list of numbers (an empty list or strings get a 422)."""

    data: list[float] = Field(examples=[[1, 2, 3, 4, 5]])  # FLAW: [] is accepted


class PredictResponse(BaseModel):
    """The output: the prediction and when it was made (ISO-8601, UTC)."""

    prediction: float
    timestamp: str


@app.post("/predict")
async def predict(request: PredictRequest) -> PredictResponse:
    """Predict with a stand-in model (the mean of the inputs); nothing here blocks the loop."""
    prediction = sum(request.data) / len(request.data) if request.data else 0.0
    return PredictResponse(prediction=prediction, timestamp=datetime.now(UTC).isoformat())
