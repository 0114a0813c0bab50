"""Problem 3, written the plain way: a pydantic model with a minimum length."""

from datetime import datetime, timezone
from statistics import fmean

from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class PredictRequest(BaseModel):
    data: list[float] = Field(..., min_length=1)


@app.post("/predict")
async def predict(request: PredictRequest):
    return {
        "prediction": fmean(request.data),
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }
