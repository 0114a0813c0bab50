"""422 answers that can always be written: FastAPI echoes the bad input, which may be NaN, inf or
a string holding a lone surrogate (valid JSON, ``"\\ud800"``, but with no UTF-8 form)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["validation_error_handler"]


def _json_safe(value: Any) -> Any:
    """NaN, infinities and lone surrogates have no JSON form: echo them escaped, not as a 500."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    return value


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The same body as FastAPI's default 422, with every echoed input made JSON-safe."""
    assert isinstance(exc, RequestValidationError)
    errors = [_json_safe(jsonable_encoder(error)) for error in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": errors})
