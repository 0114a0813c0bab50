"""Stage 3 exercise: the roadmap's RecommendationMLOps skeleton — fill in the TODOs.

Grade it with:  make start-stage3  &&  make check-stage3 IMPL=workspace/stage3

Your folder (``workspace/stage3``)::

    mlops.py          this file: RecommendationMLOps (and your pyfunc class, if you write one)
    Dockerfile        or model-server/Dockerfile: the image that serves the champion (built with
                      this folder as the context, so it can ``COPY mlops.py``)

The grader starts its own MLflow tracking server and sets MLFLOW_TRACKING_URI before it calls
``RecommendationMLOps(experiment_name)``; then it calls only the methods below, each check in its
own process with a time limit. What it expects:

* ``X_train``: a pandas DataFrame of implicit feedback, columns ``user_id``, ``item_id``,
  ``timestamp`` (one row per interaction). ``y_train``: ``None`` (binary feedback) or one
  weight per row.
* ``hyperparams``: the grader asks for ``{"model": "popularity"}`` and
  ``{"model": "item_knn", "neighbors": N}``; more models (``ease``, ``svd``…) are your choice.
* Each training run is one finished MLflow run in the experiment with the params, the validation
  metric ``ndcg_at_10`` and a pyfunc model. The model takes a DataFrame with ``user_id`` and
  returns one row per (user_id, rank, item_id) — or one row per user with a list column
  ``items``; declare a ``k`` parameter in the signature (MLflow drops undeclared request params).
  If your own ``mlflow.pyfunc.PythonModel`` class lives in mlops.py, the model server needs that
  module: copy it into the image (or log the model with ``code_paths=[__file__]``).
* ``deploy_best_model(metric="ndcg_at_10")`` registers the best run and points the ``champion``
  alias at it only if it beats the current champion (the deprecated ``Production`` stage is read
  too); ``rollback()`` puts the previous champion back.
* ``monitor_model_performance(window)`` takes a new week of interactions, detects drift and, when
  it finds some, retrains: a new model logged in the experiment — and on stable data, does nothing.
* The image: the grader builds it (``--build-arg BASE_IMAGE=... UV_IMAGE=...`` on a machine
  without a registry, so start with ``ARG BASE_IMAGE=python:3.11-slim`` / ``FROM ${BASE_IMAGE}``),
  runs it with ``MODEL_URI`` (e.g. ``models:/<name>@champion``), ``MLFLOW_TRACKING_URI`` and
  ``PORT`` (8080) set, and expects MLflow's scoring server contract on ``0.0.0.0:$PORT``:
  ``GET /ping`` and ``POST /invocations``, answering exactly what the registered model predicts.
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
