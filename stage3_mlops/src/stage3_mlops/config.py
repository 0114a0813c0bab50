"""Settings of the MLOps loop (cut-off, windows, drift thresholds, tracking-server patience) and
of the served model (how much one request may ask for)."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["DriftThresholds", "MLOpsConfig", "ServingLimits"]


class DriftThresholds(BaseModel):
    """When a window counts as drifted; each value was checked against stable generated data.

    The false-alarm rates on stable data are measured by the tests and by ``bench/run.py``.
    """

    model_config = ConfigDict(frozen=True)

    item_popularity_js_excess: float = Field(
        default=0.1,
        description="Jensen–Shannon distance (base 2) of item shares above its sampling-noise floor",
    )
    user_activity_psi: float = Field(
        default=0.25,
        description="PSI of interactions-per-active-user (0.25 is the textbook 'major shift')",
    )
    new_item_share: float = Field(
        default=0.15, description="share of current interactions on items the champion never saw"
    )
    performance_drop: float = Field(
        default=0.3,
        description="relative drop of online NDCG@k against the champion's validation NDCG@k",
    )


class MLOpsConfig(BaseModel):
    """Knobs of :class:`~stage3_mlops.mlops.RecommendationMLOps` (all have teaching defaults)."""

    model_config = ConfigDict(frozen=True)

    k: int = Field(default=10, ge=1, description="cut-off of the ranking metrics and default top-k")
    window_days: float = Field(
        default=7.0,
        gt=0,
        description="length of a monitoring window; validation uses the same length",
    )
    refit_on_full: bool = Field(
        default=True,
        description="after validating, refit on train+validation before logging the model",
    )
    drift: DriftThresholds = Field(default_factory=DriftThresholds)
    min_window_interactions: int = Field(
        default=50, ge=1, description="below this, a window is too small to judge drift"
    )
    connect_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="how long the tracking server may take to answer GET /health before the "
        "constructor gives up (a refused connection is retried for about 2 s)",
    )
    http_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="timeout of each MLflow REST request; None keeps MLFLOW_HTTP_REQUEST_TIMEOUT "
        "if set, else 60 s (MLflow's own default is 120 s)",
    )
    http_max_retries: int | None = Field(
        default=None,
        ge=0,
        description="retries of a failed MLflow REST request; None keeps "
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES if set, else 2 (MLflow's own 7 retries take ~4 min)",
    )


class ServingLimits(BaseModel):
    """How much one ``/invocations`` request may ask of the served recommender.

    The work of a request grows with users × k, so both are capped; a request over a cap gets a
    400 naming the cap instead of holding the worker. Set them for a deployment with the
    environment variables ``STAGE3_MAX_USERS_PER_REQUEST`` and ``STAGE3_MAX_K``.
    """

    model_config = ConfigDict(frozen=True)

    max_users: int = Field(default=1000, ge=1, description="user ids in one request")
    max_k: int = Field(default=100, ge=1, description="items ranked per user")

    @classmethod
    def from_env(cls) -> ServingLimits:
        """The defaults, overridden by ``STAGE3_MAX_USERS_PER_REQUEST`` / ``STAGE3_MAX_K``."""
        values = {
            field: os.environ[name]
            for field, name in (
                ("max_users", "STAGE3_MAX_USERS_PER_REQUEST"),
                ("max_k", "STAGE3_MAX_K"),
            )
            if os.environ.get(name)
        }
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ValueError(
                "STAGE3_MAX_USERS_PER_REQUEST and STAGE3_MAX_K must be positive integers, "
                f"got {values}"
            ) from exc
