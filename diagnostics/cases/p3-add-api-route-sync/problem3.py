"""Problem 3 with the route registered by hand."""

from datetime import datetime, timezone

from fastapi import FastAPI
from pydantic import BaseModel, Field


class Payload(BaseModel):
    data: list[float] = Field(min_length=1)


def predict(payload: Payload) -> dict:
    return {
        "prediction": sum(payload.data) / len(payload.data),
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }


app = FastAPI()
app.add_api_route("/predict", predict, methods=["POST"])
