"""Serving from a real MLflow registry (SQLite store in tmp_path): versions, aliases, hot reload."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sklearn.linear_model import LogisticRegression

from stage5_api.main import create_app
from stage5_api.services.bundled_model import make_training_data

pytestmark = pytest.mark.slow

MODEL = "stage5-test-model"
ROW = [0.2] * 10


@pytest.fixture(scope="module")
def registry_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry holding two versions of one model; alias ``champion`` on version 1.

    ``mlflow.set_tracking_uri`` also writes ``MLFLOW_TRACKING_URI`` into ``os.environ``; it is
    put back afterwards so later tests (and the servers they start) do not inherit it.
    """
    import mlflow
    from mlflow import MlflowClient

    root: Path = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    saved = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment("stage5-tests", artifact_location=str(root / "artifacts"))
    x, y = make_training_data(300, seed=1)
    for estimator in (LogisticRegression(max_iter=300), LogisticRegression(C=0.01, max_iter=300)):
        with mlflow.start_run(experiment_id=experiment):
            mlflow.sklearn.log_model(estimator.fit(x, y), name="model", registered_model_name=MODEL)
    MlflowClient(uri).set_registered_model_alias(MODEL, "champion", "1")
    yield uri
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


async def test_versions_and_aliases_resolve(make_settings, app_client, registry_uri) -> None:
    app = create_app(make_settings(mlflow_tracking_uri=registry_uri, model_name=MODEL))
    async for c in app_client(app):
        for ref, expected in (("latest", "2"), ("1", "1"), ("2", "2"), ("champion", "1")):
            response = await c.post("/predict", json={"features": ROW, "model_version": ref})
            assert response.status_code == 200, (ref, response.text)
            assert response.json()["model_version"] == expected
        for ref in ("9", "no-such-alias"):
            response = await c.post("/predict", json={"features": ROW, "model_version": ref})
            assert response.status_code == 404, ref
        # no model_version: the champion (v1), not the newest version registered (v2)
        default = await c.post("/predict", json={"features": ROW})
        assert default.json()["model_version"] == "1"
        ready = (await c.get("/ready")).json()
        assert ready["model_version"] == "1"


async def test_moving_the_alias_hot_reloads(make_settings, app_client, registry_uri) -> None:
    from mlflow import MlflowClient

    settings = make_settings(
        mlflow_tracking_uri=registry_uri, model_name=MODEL, registry_refresh_s=0.05
    )
    client = MlflowClient(registry_uri)
    app = create_app(settings)
    async for c in app_client(app):
        payload = {"features": ROW}  # the default: the champion
        assert (await c.post("/predict", json=payload)).json()["model_version"] == "1"
        client.set_registered_model_alias(MODEL, "champion", "2")
        try:
            await asyncio.sleep(0.1)
            # the first request after the refresh window still gets v1 and starts the refresh
            assert (await c.post("/predict", json=payload)).json()["model_version"] == "1"
            await app.state.service.models.wait_refreshed()
            assert (await c.post("/predict", json=payload)).json()["model_version"] == "2"
            ready = (await c.get("/ready")).json()
            assert ready["model_version"] == "2"
        finally:
            client.set_registered_model_alias(MODEL, "champion", "1")
        metrics = (await c.get("/metrics")).text
        assert 'stage5_predictions_total{model_version="2"} 1.0' in metrics
        assert 'stage5_model_info{model_version="2"} 1.0' in metrics
        assert 'stage5_model_info{model_version="1"} 0.0' in metrics


async def test_wrong_width_for_a_registered_model(make_settings, app_client, registry_uri) -> None:
    app = create_app(make_settings(mlflow_tracking_uri=registry_uri, model_name=MODEL))
    async for c in app_client(app):
        response = await c.post("/predict", json={"features": [1.0, 2.0, 3.0]})
        assert response.status_code == 422
        assert isinstance(c, httpx.AsyncClient)
