"""``POST /predict``: one row through the micro-batcher (and the Redis cache).

This route is the whole of ``/predict`` in plain FastAPI. With ``STAGE5_PREDICT_FAST_PATH``
on (the default), well-formed requests are answered before FastAPI by
``middleware/predict_fast_path.py`` with the same answers (``api/predict_answers.py``), and
everything else still comes here; ``bench/fast_path.py`` measures both.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Response, status

from stage5_api.api.deps import ServiceDep
from stage5_api.api.openapi import errors
from stage5_api.api.predict_answers import OVERLOADED_BODY, overloaded_headers, prediction_body
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
        return Response(
            OVERLOADED_BODY,
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers=overloaded_headers(exc),
            media_type="application/json",
        )
    except RegistryUnavailable as exc:
        service.metrics.errors.labels("registry").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=str(exc),
            headers={"Retry-After": str(service.settings.retry_after_s)},
        ) from exc
    return Response(prediction_body(result, model.version, started), media_type="application/json")
