"""``POST /batch-predict`` and ``GET /jobs/{job_id}``: background scoring of a file (API key)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, HTTPException, status

from stage5_api.api.deps import ApiKeyDep, ServiceDep
from stage5_api.errors import ModelNotFound, RegistryUnavailable, UnsafePathError
from stage5_api.models import BatchJobCreated, BatchJobPublic, BatchPredictRequest
from stage5_api.services.model_store import LoadedModel
from stage5_api.services.paths import confine_path
from stage5_api.services.runtime import ServiceState

__all__ = ["router"]

router = APIRouter(tags=["batch jobs"], dependencies=[ApiKeyDep])


@router.post("/batch-predict", response_model=BatchJobCreated, status_code=202)
async def batch_predict(
    body: BatchPredictRequest, service: ServiceDep, background_tasks: BackgroundTasks
) -> BatchJobCreated:
    """Start scoring a CSV/Parquet file under the data directory; poll the returned URL."""
    try:
        source = confine_path(service.settings.data_dir, body.file_path)
        model = await service.models.get(body.model_version)
    except UnsafePathError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    except ModelNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except RegistryUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    job = service.jobs.create(body.file_path)
    background_tasks.add_task(process_batch_predictions, service, job, source, model, body)
    return BatchJobCreated(job_id=job.job_id, status=job.status, status_url=f"/jobs/{job.job_id}")


async def process_batch_predictions(
    service: ServiceState,
    job: BatchJobPublic,
    source: Path,
    model: LoadedModel,
    body: BatchPredictRequest,
) -> None:
    """Run the job and count its outcome (the roadmap's background task)."""
    done = await service.jobs.run(job, source, model, body.output_format)
    service.metrics.jobs.labels(done.status.value).inc()


@router.get("/jobs/{job_id}", response_model=BatchJobPublic)
async def read_job(job_id: str, service: ServiceDep) -> BatchJobPublic:
    """Status, progress and output location of a job."""
    job = service.jobs.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"job {job_id!r} not found")
    return job
