"""Problem 3 with a router, a pydantic v2 validator, a datetime in the response model, and the
model loaded at startup (lifespan) and run in a worker thread."""

import asyncio
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, field_validator


class MeanModel:
    def predict(self, values):
        time.sleep(0.002)  # stands for a real model's work: fine in a worker thread
        return sum(values) / len(values)


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.model = MeanModel()
    yield
    del app.state.model


class Features(BaseModel):
    data: list[float]

    @field_validator("data")
    @classmethod
    def not_empty(cls, value):
        if not value:
            raise ValueError("data must hold at least one number")
        return value


class Prediction(BaseModel):
    prediction: float
    timestamp: datetime


router = APIRouter()


@router.post("/predict", response_model=Prediction)
async def predict(features: Features, request: Request) -> Prediction:
    model = request.app.state.model
    value = await asyncio.to_thread(model.predict, features.data)
    return Prediction(prediction=value, timestamp=datetime.now(timezone.utc))


app = FastAPI(lifespan=lifespan)
app.include_router(router)
