"""A hyperparameter grid over the four models: one command, twelve MLflow runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from rich.progress import Progress

from stage3_mlops.mlops import RecommendationMLOps
from stage3_mlops.reports import TrainingResult

__all__ = ["DEFAULT_GRID", "run_grid"]

DEFAULT_GRID: tuple[dict[str, Any], ...] = (
    {"model": "popularity"},
    {"model": "item_knn", "neighbors": 20},
    {"model": "item_knn", "neighbors": 50},
    {"model": "item_knn", "neighbors": 200},
    {"model": "ease", "l2": 50.0},
    {"model": "ease", "l2": 200.0},
    {"model": "ease", "l2": 500.0},
    {"model": "ease", "l2": 1000.0},
    {"model": "svd", "factors": 8},
    {"model": "svd", "factors": 16},
    {"model": "svd", "factors": 32},
    {"model": "svd", "factors": 64},
)


def run_grid(
    mlops: RecommendationMLOps,
    interactions: pd.DataFrame,
    grid: Sequence[dict[str, Any]] = DEFAULT_GRID,
    *,
    show_progress: bool = True,
) -> list[TrainingResult]:
    """Train every configuration of ``grid`` on ``interactions`` (one MLflow run each)."""
    results = []
    with Progress(disable=not show_progress) as progress:
        task = progress.add_task("training grid", total=len(grid))
        for params in grid:
            results.append(mlops.train_model(interactions, None, dict(params)))
            progress.advance(task)
    return results
