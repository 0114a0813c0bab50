"""Fit one recommender and score it on a leakage-free validation split (no MLflow in here).

:func:`fit_candidate` is the training half of ``RecommendationMLOps.train_model``; the logging
half is :mod:`stage3_mlops.run_logging`. Keeping them apart lets retraining and the benchmark
reuse the fit without a server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stage3_mlops.config import MLOpsConfig
from stage3_mlops.data import validate_interactions
from stage3_mlops.errors import DataError
from stage3_mlops.metrics import RankingMetrics, evaluate_recommender
from stage3_mlops.models import Recommender, create_recommender
from stage3_mlops.preprocess import build_matrix, time_split

__all__ = [
    "CURVE_KS",
    "FittedCandidate",
    "fit_candidate",
    "fit_recommender",
    "interaction_weights",
    "split_hyperparams",
]

CURVE_KS = (1, 3, 5, 10, 20)  # cut-offs of the per-k curves logged with every run


@dataclass(frozen=True)
class FittedCandidate:
    """A trained model with its validation scores and the frames it came from."""

    model_type: str
    params: dict[str, Any]
    model: Recommender
    scores: dict[int, RankingMetrics]
    train: pd.DataFrame
    validation: pd.DataFrame
    full: pd.DataFrame
    train_seconds: float


def split_hyperparams(hyperparams: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """``{"model": "ease", "l2": 200}`` → ``("ease", {"l2": 200})``, checked before any work."""
    params = dict(hyperparams or {})
    model_type = str(params.pop("model", "ease"))
    create_recommender(model_type, **params)  # raises ModelError naming the accepted settings
    return model_type, params


def interaction_weights(y_train: pd.Series | np.ndarray | None, n_rows: int) -> np.ndarray:
    """One weight per row: ones for binary feedback, else ``y_train`` (e.g. ratings)."""
    if y_train is None:
        return np.ones(n_rows)
    weights = np.asarray(y_train, dtype=float)
    if weights.shape != (n_rows,):
        raise DataError(
            f"y_train must hold one weight per X_train row ({n_rows}), got shape {weights.shape}; "
            "pass None for binary implicit feedback"
        )
    return weights


def fit_recommender(model_type: str, params: dict[str, Any], frame: pd.DataFrame) -> Recommender:
    """Fit on ``frame`` (its ``weight`` column is used only when some weight differs from 1)."""
    weights = None if bool((frame["weight"] == 1.0).all()) else frame["weight"]
    return create_recommender(model_type, **params).fit(build_matrix(frame, weights))


def fit_candidate(
    X_train: pd.DataFrame,
    y_train: pd.Series | np.ndarray | None,
    hyperparams: dict[str, Any] | None,
    *,
    config: MLOpsConfig,
    validation: pd.DataFrame | None = None,
) -> FittedCandidate:
    """Validate the input, fit, score at :data:`CURVE_KS`, and refit on everything if configured.

    Without ``validation`` the last ``config.window_days`` of ``X_train`` validate (one global
    time cut-off, so no future leaks into training).
    """
    frame = validate_interactions(X_train, name="X_train")
    frame["weight"] = interaction_weights(y_train, len(frame))
    model_type, params = split_hyperparams(hyperparams)
    if validation is None:
        train_part, valid_part = time_split(frame, config.window_days)
        full = frame
    else:
        valid_part = validate_interactions(validation, name="validation")
        valid_part["weight"] = 1.0
        train_part = frame
        full = pd.concat([frame, valid_part], ignore_index=True)
    started = time.perf_counter()
    model = fit_recommender(model_type, params, train_part)
    train_seconds = time.perf_counter() - started
    scores = evaluate_recommender(model, train_part, valid_part, ks=CURVE_KS)
    if config.refit_on_full:
        model = fit_recommender(model_type, params, full)
    return FittedCandidate(
        model_type=model_type,
        params=params,
        model=model,
        scores=scores,
        train=train_part,
        validation=valid_part,
        full=full,
        train_seconds=train_seconds,
    )
