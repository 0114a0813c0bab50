"""Request and response schemas of the API (the roadmap's models, kept)."""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

__all__ = [
    "BatchJobCreated",
    "BatchJobPublic",
    "BatchPredictRequest",
    "HealthPublic",
    "JobStatus",
    "OutputFormat",
    "PredictionRequest",
    "PredictionResponse",
    "ReadinessPublic",
]


MODEL_VERSION_HELP = (
    "which model answers: an alias (champion, challenger), a version number, or latest (the "
    "highest registered version, promoted or not, as MLflow's models:/<name>/latest). Left out: "
    "the service's default, the champion (STAGE5_DEFAULT_MODEL_VERSION)"
)


class PredictionRequest(BaseModel):
    """One row of features and the model version to use (default: the champion)."""

    features: list[float] = Field(min_length=1, max_length=10_000)
    model_version: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description=MODEL_VERSION_HELP,
        examples=["champion", "latest", "1"],
    )

    @field_validator("features")
    @classmethod
    def _finite(cls, values: list[float]) -> list[float]:
        if not all(math.isfinite(v) for v in values):
            raise ValueError("features must be finite numbers (no NaN or infinity)")
        return values


class PredictionResponse(BaseModel):
    """The model's answer, which version gave it, and how long the server spent."""

    prediction: float
    confidence: float
    model_version: str
    processing_time_ms: float


class HealthPublic(BaseModel):
    """Liveness: the process answers."""

    status: str = "ok"


class ReadinessPublic(BaseModel):
    """Readiness: the model is loaded; Redis is reachable or the service knowingly runs without."""

    ready: bool
    model_loaded: bool
    model_version: str | None
    redis: str = Field(description="ok | down | disabled")
    degraded: bool


class OutputFormat(StrEnum):
    """File format of a batch job's output."""

    PARQUET = "parquet"
    CSV = "csv"


class BatchPredictRequest(BaseModel):
    """A file under the data directory to score in the background."""

    file_path: str = Field(min_length=1, max_length=1024)
    model_version: str | None = Field(
        None, min_length=1, max_length=64, description=MODEL_VERSION_HELP
    )
    output_format: OutputFormat = OutputFormat.PARQUET


class JobStatus(StrEnum):
    """Life cycle of a batch job."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class BatchJobCreated(BaseModel):
    """Answer to ``POST /batch-predict``."""

    job_id: str
    status: JobStatus
    status_url: str


class BatchJobPublic(BaseModel):
    """A batch job as ``GET /jobs/{job_id}`` shows it."""

    job_id: str
    status: JobStatus
    input_path: str
    rows_total: int = 0
    rows_done: int = 0
    progress: float = 0.0
    output_path: str | None = None
    error: str | None = None
    model_version: str | None = None
