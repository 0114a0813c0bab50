"""A correct solution in another style (conlist, a plain dict response)."""

from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel, conlist


class Req(BaseModel):
    data: conlist(float, min_length=1)


app = FastAPI()


@app.post("/predict")
async def predict(req: Req):
    return {
        "prediction": sum(req.data) / len(req.data),
        "timestamp": datetime.now(UTC).isoformat(),
    }
