"""Problem 3 with a small model class."""

import asyncio
from datetime import datetime, timezone

from fastapi import FastAPI
from pydantic import BaseModel, Field


class MeanModel:
    def __init__(self):
        self.inputs = []

    async def predict(self, values):
        self.inputs = values
        await asyncio.sleep(0.001)  # warm the cache
        return sum(self.inputs) / len(self.inputs)


model = MeanModel()
app = FastAPI()


class Request(BaseModel):
    data: list[float] = Field(min_length=1)


class Response(BaseModel):
    prediction: float
    timestamp: str


@app.post("/predict", response_model=Response)
async def predict(request: Request):
    value = await model.predict(request.data)
    return Response(prediction=value, timestamp=datetime.now(timezone.utc).isoformat())
