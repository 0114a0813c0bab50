"""Runs, registry and aliases on the PostgreSQL backend store (what MLFLOW_BACKEND_URI selects).

The client talks to the database directly here (the same SQLAlchemy store ``mlflow server``
uses); the HTTP layer is covered by the SQLite-server tests. Starting a second server would cost
the suite a minute on a busy machine.
"""

from __future__ import annotations

import uuid

import mlflow
import pandas as pd
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from stage3_mlops.mlops import RecommendationMLOps
from stage3_mlops.servers import backend_store_uri

pytestmark = [pytest.mark.service, pytest.mark.slow]

DATABASE = "stage3_mlflow_test"
BACKEND = backend_store_uri(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}")


def _ensure_database() -> None:
    conn = psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if cur.fetchone() is None:
            cur.execute(f"CREATE DATABASE {DATABASE}")
    conn.close()


def test_registry_round_trip_on_postgresql(interactions: pd.DataFrame, tmp_path) -> None:
    _ensure_database()
    name = f"pg-{uuid.uuid4().hex[:8]}"  # the database outlives the test: never reuse a name
    client = MlflowClient(tracking_uri=BACKEND, registry_uri=BACKEND)
    client.create_experiment(name, artifact_location=(tmp_path / "artifacts").as_uri())
    previous = mlflow.get_tracking_uri()
    try:
        mlflow.set_registry_uri(BACKEND)
        mlops = RecommendationMLOps(name, tracking_uri=BACKEND)
        result = mlops.train_model(interactions, None, {"model": "svd", "factors": 8})
        decision = mlops.deploy_best_model()
    finally:
        mlflow.set_tracking_uri(previous)
    assert client.get_run(result.run_id).data.metrics["ndcg_at_10"] > 0
    assert decision.promoted
    champion = client.get_model_version_by_alias(mlops.model_name, "champion")
    assert champion.run_id == result.run_id
