"""Stage 3 promotes and rolls back; stage 5's default traffic follows each step (issue 15).

A real ``mlflow server`` (stage 3's ``TrackingServer``, SQLite backend as stage 3's tests use)
and stage 3's own ``RecommendationMLOps``: a good model becomes champion, a worse candidate is
registered but rejected (the newest version, so ``latest`` names it), then forced in, then
rolled back. Requests that name no ``model_version`` must be answered by the champion at every
step, with the champion's own top item.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI

from stage3_mlops import GeneratorConfig, RecommendationMLOps, generate_interactions
from stage3_mlops.servers import TrackingServer
from stage5_api.main import create_app

pytestmark = pytest.mark.slow

MODEL = "stage5-e2e-recommender"
USERS = [0, 7, 42, 199]


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingServer]:
    with TrackingServer.sqlite(tmp_path_factory.mktemp("mlflow")) as server:
        yield server


@pytest.fixture(scope="module")
def interactions() -> pd.DataFrame:
    return generate_interactions(GeneratorConfig(n_users=200, n_items=120, n_days=28, seed=1))


async def _served(client, app: FastAPI, body: dict) -> dict:
    """The answer once any refresh the request started is done (the alias re-read)."""
    await client.post("/predict", json=body)
    await app.state.service.models.wait_refreshed()
    response = await client.post("/predict", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _follows(client, app: FastAPI, mlops: RecommendationMLOps) -> None:
    """Default requests are answered by the champion version with the champion's top item."""
    expected_version = mlops.champion_version()
    await asyncio.sleep(0.06)  # past the refresh window
    champion = mlops.load_champion()
    top = champion.recommend(np.asarray(USERS), 1)[:, 0]
    for user, item in zip(USERS, top, strict=True):
        answer = await _served(client, app, {"features": [float(user)]})
        assert answer["model_version"] == expected_version, answer
        assert answer["prediction"] == float(item), (user, answer)
    ready = (await client.get("/ready")).json()
    assert ready["ready"] and ready["model_version"] == expected_version


async def test_default_traffic_follows_promotion_and_rollback(
    tracking_server: TrackingServer, interactions: pd.DataFrame, make_settings, app_client
) -> None:
    good = RecommendationMLOps(
        "e2e-good", tracking_uri=tracking_server.url, registered_model_name=MODEL
    )
    good.train_model(interactions, None, {"model": "ease", "l2": 100.0})
    assert good.deploy_best_model().champion_version == "1"

    settings = make_settings(
        mlflow_tracking_uri=tracking_server.url, model_name=MODEL, registry_refresh_s=0.05
    )
    app = create_app(settings)
    async for client in app_client(app):
        await _follows(client, app, good)

        # a worse candidate is registered (v2, the newest) but not promoted
        worse = RecommendationMLOps(
            "e2e-worse", tracking_uri=tracking_server.url, registered_model_name=MODEL
        )
        worse.train_model(interactions, None, {"model": "popularity"})
        decision = worse.deploy_best_model()
        assert not decision.promoted and decision.candidate_version == "2", decision
        await _follows(client, app, worse)  # still v1
        latest = await _served(client, app, {"features": [0.0], "model_version": "latest"})
        assert latest["model_version"] == "2"  # MLflow's latest: the newest, promoted or not

        # promoted anyway: default traffic moves to v2
        assert worse.deploy_best_model(force=True).champion_version == "2"
        await _follows(client, app, worse)

        # rolled back: default traffic is back on v1
        assert worse.rollback().champion_version == "1"
        await _follows(client, app, worse)


def test_no_champion_yet_is_a_clear_startup_error(
    tracking_server: TrackingServer, interactions: pd.DataFrame, make_settings, tmp_path: Path
) -> None:
    """A registry with versions but no champion: the service refuses to start and says why."""
    mlops = RecommendationMLOps(
        "e2e-unpromoted", tracking_uri=tracking_server.url, registered_model_name=MODEL + "-np"
    )
    result = mlops.train_model(interactions, None, {"model": "popularity"})
    from mlflow import MlflowClient, register_model

    register_model(result.model_uri, MODEL + "-np")
    assert MlflowClient(tracking_server.url).search_model_versions(f"name='{MODEL}-np'")
    app = create_app(
        make_settings(mlflow_tracking_uri=tracking_server.url, model_name=MODEL + "-np")
    )

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(Exception, match="'champion' does not exist in the registry: promote"):
        asyncio.run(start())
