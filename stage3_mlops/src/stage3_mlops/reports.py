"""What the MLOps loop returns: training, deployment and monitoring reports (pydantic models)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["DeploymentDecision", "MonitoringReport", "RetrainingOutcome", "TrainingResult"]


class TrainingResult(BaseModel):
    """One training run: where it is in MLflow and how it scored on validation."""

    run_id: str
    model_uri: str
    model_type: str
    hyperparams: dict[str, float | int]
    metrics: dict[str, float]
    train_seconds: float


class DeploymentDecision(BaseModel):
    """The outcome of a promotion or rollback, with the reason recorded in the registry."""

    promoted: bool
    model_name: str
    champion_version: str | None
    previous_version: str | None = None
    candidate_version: str | None = None
    candidate_run_id: str | None = None
    metric: str | None = None
    candidate_score: float | None = None
    champion_score: float | None = None
    reason: str


class RetrainingOutcome(BaseModel):
    """A drift-triggered retraining: the challenger's run and whether it replaced the champion."""

    challenger_run_id: str
    metric: str
    challenger_score: float
    champion_score: float
    decision: DeploymentDecision


class MonitoringReport(BaseModel):
    """Drift of one window against the champion's reference window, and what was done about it."""

    champion_version: str
    window_start: str
    window_end: str
    interactions: int
    item_popularity_js: float
    item_popularity_js_excess: float
    user_activity_psi: float
    user_activity_ks: float
    new_item_share: float
    online_metrics: dict[str, float]
    baseline_ndcg: float
    performance_drop: float
    alarms: list[str] = Field(default_factory=list)
    drift_detected: bool
    enough_data: bool
    monitor_run_id: str | None = None
    retraining: RetrainingOutcome | None = None
