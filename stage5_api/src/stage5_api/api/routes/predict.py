"""``POST /predict``: one row through the micro-batcher (and the Redis cache)."""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter, HTTPException, Response, status

from stage5_api.api.deps import ServiceDep
from stage5_api.api.openapi import errors
from stage5_api.errors import FeatureCountError, ModelNotFound, Overloaded, RegistryUnavailable
from stage5_api.models import PredictionRequest, PredictionResponse

__all__ = ["router"]

router = APIRouter(tags=["predictions"])


@router.post(
    "/predict",
    response_model=PredictionResponse,
    responses=errors(404, 413, 503),
)
async def predict(request: PredictionRequest, service: ServiceDep) -> Response:
    """Predict one row; 422 for a wrong feature count, 503 + Retry-After when overloaded."""
    started = time.perf_counter()
    try:
        model = await service.models.get(request.model_version)
        model.check_width(len(request.features))
        result = await service.batcher.submit(model, request.features)
    except ModelNotFound as exc:
        service.metrics.errors.labels("not_found").inc()
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except FeatureCountError as exc:
        service.metrics.errors.labels("validation").inc()
        detail = [{"loc": ["body", "features"], "msg": str(exc), "type": "feature_count"}]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from exc
    except Overloaded as exc:
        service.metrics.errors.labels("overloaded").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="overloaded: retry later",
            headers={"Retry-After": str(exc.retry_after_s)},
        ) from exc
    except RegistryUnavailable as exc:
        service.metrics.errors.labels("registry").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=str(exc),
            headers={"Retry-After": str(service.settings.retry_after_s)},
        ) from exc
    body = {
        "prediction": result.prediction,
        "confidence": result.confidence,
        "model_version": model.version,
        "processing_time_ms": (time.perf_counter() - started) * 1000,
    }
    return Response(orjson.dumps(body), media_type="application/json")
