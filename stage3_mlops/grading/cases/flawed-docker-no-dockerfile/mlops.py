"""Stage 3 exercise: the roadmap's RecommendationMLOps skeleton — fill in the TODOs.

Grade it with:  make start-stage3  &&  make check-stage3 IMPL=workspace/stage3

The grader starts its own MLflow tracking server and sets MLFLOW_TRACKING_URI before it
constructs your class, then calls only the methods below. What it expects:

* ``X_train``: a pandas DataFrame of implicit feedback, columns ``user_id``, ``item_id``,
  ``timestamp`` (one row per interaction). ``y_train``: ``None`` (binary feedback) or one
  weight per row.
* ``hyperparams``: ``{"model": <"popularity" | "item_knn" | "ease" | "svd">, ...settings}``,
  e.g. ``{"model": "ease", "l2": 200.0}`` or ``{"model": "svd", "factors": 16}``.
* Each training run logs the validation metric ``ndcg_at_10`` and a pyfunc model whose input is
  a DataFrame with ``user_id`` and whose output has one row per (user_id, rank, item_id); declare
  a ``k`` parameter in the signature (MLflow drops undeclared request params).
* ``deploy_best_model(metric="ndcg_at_10")`` registers the best run and points the ``champion``
  alias at it only if it beats the current champion; ``rollback()`` moves ``champion`` back.
* ``monitor_model_performance(window)`` takes a new week of interactions, detects drift and, when
  it finds some, trains a challenger (a new logged model) — and on stable data, does nothing.
"""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient


class RecommendationMLOps:
    def __init__(self, experiment_name: str):
        mlflow.set_experiment(experiment_name)
        self.client = MlflowClient()
        self.model_name = f"{experiment_name}-recommender"

    def train_model(self, X_train: pd.DataFrame, y_train: Any, hyperparams: dict) -> None:
        with mlflow.start_run():
            # TODO: split X_train by time (no leakage), fit the model named by hyperparams["model"]
            # TODO: evaluate top-10 recommendations: log ndcg_at_10, precision_at_10, recall_at_10…
            # TODO: log params, the dataset, a plot, and the model (mlflow.pyfunc.log_model)
            pass

    def deploy_best_model(self, metric: str = "ndcg_at_10") -> None:
        # TODO: find the best run by `metric`, register it, set the "champion" alias
        #       only when it beats the current champion; record why (a tag)
        pass

    def rollback(self) -> None:
        # TODO: point "champion" back at the previous champion (keep the history in a tag)
        pass

    def monitor_model_performance(self, recent_interactions: pd.DataFrame | None = None) -> None:
        # TODO: compare recent interactions with the training data (PSI / JS / KS),
        #       compute the champion's online NDCG, and retrain when drift passes a threshold
        pass
