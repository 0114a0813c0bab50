"""The OpenAPI schema as the running service enforces it: exact feature count, every error answer.

FastAPI builds the schema from the pydantic models, which can only say "1 to 10,000 numbers":
the width that matters is the loaded model's, known once it is loaded. The schema served at
``/openapi.json`` (and shown by ``/docs``) is built per default model version, with
``features`` pinned to exactly that many items, so clients and fuzzers (schemathesis) see the
real contract. The error answers every route can give are listed here once.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from stage5_api.services.model_store import ModelStore

__all__ = ["ERRORS", "ErrorPublic", "errors", "install_openapi"]


class ErrorPublic(BaseModel):
    """Every 4xx/5xx body except 422: what went wrong and what to do."""

    detail: str


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorPublic, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error(
        "file_path is absolute, has '..', resolves outside the data directory, or holds "
        "characters no file name can (NUL, control characters, names over 255 bytes)"
    ),
    401: _error("missing or wrong X-API-Key header"),
    404: _error("unknown model_version (or job id)"),
    413: _error(
        "request body over STAGE5_MAX_BODY_BYTES (chunked bodies too), or a batch input "
        "file over STAGE5_JOB_MAX_INPUT_BYTES"
    ),
    429: _error("STAGE5_JOB_MAX_CONCURRENT batch jobs already running; retry after Retry-After"),
    503: _error(
        "overloaded (queue full) or the model registry unreachable with nothing cached; "
        "retry after Retry-After"
    ),
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented answers for ``codes`` (a route's ``responses=``)."""
    return {code: ERRORS[code] for code in codes}


def install_openapi(app: FastAPI, models: ModelStore) -> None:
    """Serve a schema whose ``features`` is exactly the default model's width."""
    built: dict[str | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        model = models.default
        key = model.version if model is not None else None
        if key not in built:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            if model is not None and model.n_features is not None:
                _pin_width(schema, model.n_features, model.version)
            built.clear()  # one version at a time: a promotion rebuilds it
            built[key] = schema
        return built[key]

    app.openapi = openapi  # type: ignore[method-assign]


def _pin_width(schema: dict[str, Any], width: int, version: str) -> None:
    features = schema["components"]["schemas"]["PredictionRequest"]["properties"]["features"]
    features["minItems"] = features["maxItems"] = width
    features["description"] = (
        f"exactly {width} finite numbers: the width of the model served by default "
        f"(version {version}); another width is answered 422"
    )
