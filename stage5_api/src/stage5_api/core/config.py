"""Settings of the prediction service, read once from ``STAGE5_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_API_KEY", "ModelKind", "Settings", "get_settings"]

DEFAULT_API_KEY = "changethis"
ModelKind = Literal["logreg", "forest"]  # the bundled models (services/bundled_model.py)


class Settings(BaseSettings):
    """Every knob of the service; ``STAGE5_BATCH_MAX_SIZE=128`` sets ``batch_max_size``.

    ``MLFLOW_TRACKING_URI`` (no prefix, MLflow's own variable) switches the model store from the
    bundled scikit-learn model to the MLflow registry.
    """

    model_config = SettingsConfigDict(
        env_prefix="STAGE5_",
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
        # `model_name` is a setting, not pydantic API; older pydantic and pydantic-settings
        # reserve every `model_` name and warn about it (an error under filterwarnings=error)
        protected_namespaces=("settings_",),
    )

    environment: str = Field(default="local", description="local | staging | production")
    # models
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "mlflow_tracking_uri"),
        description="MLflow server or store URI",
    )
    model_name: str = Field(
        default="stage5-classifier", description="registered model name in MLflow"
    )
    bundled_model: ModelKind = Field(
        default="logreg",
        description="model served without MLflow: logreg (~0.1 ms a call) or forest (100 trees)",
    )
    default_model_version: str = Field(
        default="champion",
        min_length=1,
        max_length=64,
        description="the reference a request without model_version gets: stage 3's champion "
        "alias (latest = the highest registered version, promoted or not)",
    )
    registry_refresh_s: float = Field(
        default=10.0, gt=0, description="how often aliases are re-read"
    )
    # micro-batching and admission control
    batch_max_size: int = Field(default=64, ge=1, description="largest batch sent to the model")
    batch_max_wait_ms: float = Field(
        default=0.0, ge=0, description="how long a batch waits to fill; 0 = yield once"
    )
    max_queue_depth: int = Field(default=2000, ge=1, description="queued requests before 503")
    retry_after_s: int = Field(default=1, ge=1, description="Retry-After sent with a 503")
    predict_fast_path: bool = Field(
        default=True,
        description="answer well-formed /predict requests in plain ASGI before FastAPI "
        "(middleware/predict_fast_path.py); false = the FastAPI route answers everything",
    )
    # garbage collector (services/gc_tuning.py: full collections stalled every request in flight)
    gc_freeze: bool = Field(
        default=True, description="gc.freeze() once the model is loaded (start-up objects)"
    )
    gc_gen0_threshold: int = Field(
        default=20_000, ge=0, description="young-generation GC threshold; 0 = Python's 700"
    )
    # Redis cache
    redis_url: str | None = Field(
        default="redis://127.0.0.1:6379/0", description="None disables the cache"
    )
    cache_ttl_s: int = Field(default=300, ge=1)
    cache_min_model_ms: float = Field(
        default=1.0,
        ge=0,
        description="use Redis only for models whose call takes this long; 0 = always",
    )
    cache_prefix: str = Field(
        default="stage5:pred:", description="key prefix of cached predictions"
    )
    redis_timeout_s: float = Field(
        default=0.2, gt=0, description="socket timeout of each Redis call"
    )
    redis_retry_s: float = Field(
        default=2.0, gt=0, description="pause before retrying a down Redis"
    )
    # batch jobs and access
    data_dir: Path = Field(
        default=Path("data/stage5"), description="batch inputs and outputs live here"
    )
    api_key: SecretStr = Field(
        default=SecretStr(DEFAULT_API_KEY), description="X-API-Key for batch jobs"
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="larger request bodies get 413"
    )
    job_max_concurrent: int = Field(
        default=2, ge=1, description="batch jobs pending or running at once; more get 429"
    )
    job_max_input_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1, description="larger batch input files get 413"
    )
    job_max_rows: int = Field(
        default=1_000_000, ge=1, description="a batch input with more rows fails its job"
    )
    job_retention_s: float = Field(
        default=24 * 3600.0, gt=0, description="finished jobs and outputs older than this go"
    )
    job_max_kept: int = Field(
        default=1000, ge=1, description="finished jobs kept at most (the oldest go first)"
    )
    job_retry_after_s: int = Field(default=5, ge=1, description="Retry-After sent with a 429")
    job_nice: int = Field(
        default=10, ge=0, le=19, description="CPU priority of job processes below the server's"
    )

    @field_validator("redis_url", mode="before")
    @classmethod
    def _none_disables_redis(cls, value: object) -> object:
        """``STAGE5_REDIS_URL=none`` turns the cache off (an empty variable is ignored)."""
        if isinstance(value, str) and value.strip().lower() in ("", "none", "off", "disabled"):
            return None
        return value

    @model_validator(mode="after")
    def _reject_default_key_outside_local(self) -> Settings:
        """A default secret is fine on a laptop and a mistake anywhere else."""
        if self.environment != "local" and self.api_key.get_secret_value() == DEFAULT_API_KEY:
            raise ValueError(
                "STAGE5_API_KEY is still the default 'changethis' while STAGE5_ENVIRONMENT="
                f"{self.environment!r}: set a real secret"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (tests clear the cache or override)."""
    return Settings()
