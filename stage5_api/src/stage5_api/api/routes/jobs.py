"""``POST /batch-predict`` and ``GET /jobs/{job_id}``: background scoring of a file (API key)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, status

from stage5_api.api.deps import ApiKeyDep, ServiceDep
from stage5_api.api.openapi import errors
from stage5_api.errors import JobLimitError, ModelNotFound, RegistryUnavailable, UnsafePathError
from stage5_api.models import BatchJobCreated, BatchJobPublic, BatchPredictRequest
from stage5_api.services.paths import confine_path

__all__ = ["router"]

router = APIRouter(tags=["batch jobs"], dependencies=[ApiKeyDep])


@router.post(
    "/batch-predict",
    response_model=BatchJobCreated,
    status_code=202,
    responses=errors(400, 401, 404, 413, 429, 503),
)
async def batch_predict(body: BatchPredictRequest, service: ServiceDep) -> BatchJobCreated:
    """Start scoring a CSV/Parquet file under the data directory; poll the returned URL.

    The job runs in a process of its own at a lower CPU priority, so ``/predict`` keeps its
    latency and the worker its memory.
    """
    try:
        source = confine_path(service.settings.data_dir, body.file_path)
        model = await service.models.get(body.model_version)
        job = await asyncio.to_thread(
            service.jobs.create, body.file_path, source, model.version, body.output_format
        )
    except UnsafePathError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    except ModelNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except RegistryUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    except JobLimitError as exc:
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
        raise HTTPException(exc.status, detail=str(exc), headers=headers) from exc
    await service.job_runner.start(job, source)
    return BatchJobCreated(job_id=job.job_id, status=job.status, status_url=f"/jobs/{job.job_id}")


@router.get(
    "/jobs/{job_id}",
    response_model=BatchJobPublic,
    responses=errors(401, 404),
)
async def read_job(job_id: str, service: ServiceDep) -> BatchJobPublic:
    """Status, progress and output location of a job."""
    job = await asyncio.to_thread(service.jobs.get, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"job {job_id!r} not found")
    return job.public()
