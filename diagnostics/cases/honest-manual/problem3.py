"""Problem 3 without a request model: the body is checked by hand and a 422 built by hand."""

import asyncio
import json
import math
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


def invalid(reason):
    return JSONResponse(status_code=422, content={"detail": reason})


@app.post("/predict")
async def predict(request: Request):
    try:
        body = await request.json()
    except json.JSONDecodeError:
        return invalid("the body is not JSON")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return invalid("'data' must be a list of numbers")
    if not data:
        return invalid("'data' must not be empty")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in data):
        return invalid("'data' must hold numbers only")
    if not all(math.isfinite(x) for x in data):
        return invalid("'data' must hold finite numbers")
    await asyncio.sleep(0)
    now = datetime.now(timezone.utc)
    return {"prediction": float(sum(data) / len(data)), "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
