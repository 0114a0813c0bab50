"""``mlflow models serve --env-manager local`` answers /invocations for the champion."""

from __future__ import annotations

import httpx
import mlflow
import pandas as pd
import pytest

from stage3_mlops.mlops import RecommendationMLOps
from stage3_mlops.servers import ModelServer, predict_over_http

pytestmark = pytest.mark.slow


def test_served_champion_matches_the_registered_model(
    tracking_server, interactions: pd.DataFrame, experiment_name: str, tmp_path
) -> None:
    mlops = RecommendationMLOps(experiment_name, tracking_uri=tracking_server.url)
    mlops.train_model(interactions, None, {"model": "item_knn", "neighbors": 30})
    mlops.deploy_best_model()
    uri = f"models:/{mlops.model_name}@champion"
    users = [int(u) for u in interactions["user_id"].unique()[:3]] + [999_999]
    with ModelServer(uri, tracking_uri=tracking_server.url, log_path=tmp_path / "s.log") as server:
        top3 = predict_over_http(server.url, users, k=3)
        top5 = predict_over_http(server.url, users, k=5)  # k is a declared signature param
        refused = httpx.post(
            f"{server.url}/invocations",
            json={"dataframe_split": {"columns": ["user_id"], "data": [[1]]}, "params": {"k": 0}},
            timeout=60,
        )
    local = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"user_id": users}), {"k": 5})
    expected = [local[local["user_id"] == u].sort_values("rank")["item_id"].tolist() for u in users]
    assert top5 == expected
    assert [row[:3] for row in top5] == top3
    assert refused.status_code == 400 and "k=0 is out of range" in refused.text
    assert "Traceback" not in refused.text and "stack_trace" not in refused.text
