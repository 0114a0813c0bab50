"""Settings of the MLOps loop: evaluation cut-off, windows, drift thresholds, registry names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DriftThresholds", "MLOpsConfig"]


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
