"""The FastAPI app: wiring only (settings → services → middleware → routes).

Run it with ``uvicorn stage5_api.main:app --loop asyncio`` (the asyncio loop gave the better
tail latency under overload; see the README). Building the app loads nothing: the model is
loaded in the lifespan, and readiness stays false until it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from stage5_api.api.openapi import install_openapi
from stage5_api.api.routes import health, jobs, monitoring, predict
from stage5_api.api.validation import validation_error_handler
from stage5_api.core.config import Settings, get_settings
from stage5_api.middleware.body_limit import BodySizeLimitMiddleware
from stage5_api.middleware.predict_fast_path import PredictFastPath
from stage5_api.middleware.request_metrics import RequestMetricsMiddleware
from stage5_api.services.runtime import build_state

__all__ = ["app", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app; tests pass their own settings, servers use the environment's."""
    settings = settings or get_settings()
    state = build_state(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    app = FastAPI(title="ML Prediction API", version="1.0.0", lifespan=lifespan)
    app.state.service = state
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    for module in (predict, health, jobs, monitoring):
        app.include_router(module.router)
    install_openapi(app, state.models)
    # innermost first: the fast path still runs inside the body limit and the metrics
    if settings.predict_fast_path:
        route = next(r for r in app.router.routes if getattr(r, "path", None) == "/predict")
        app.add_middleware(PredictFastPath, service=state, route=route)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetricsMiddleware, metrics=state.metrics)
    return app


app = create_app()
