"""422 answers that can always be written: FastAPI echoes the bad input, which may be NaN or inf."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["validation_error_handler"]


def _json_safe(value: Any) -> Any:
    """NaN and infinities have no JSON form: echo them as strings instead of failing with a 500."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The same body as FastAPI's default 422, with every echoed input made JSON-safe."""
    assert isinstance(exc, RequestValidationError)
    errors = [_json_safe(jsonable_encoder(error)) for error in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": errors})
