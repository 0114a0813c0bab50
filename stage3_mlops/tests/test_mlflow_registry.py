"""Tracking, registry and monitoring against a real ``mlflow server`` (SQLite backend)."""

from __future__ import annotations

import json

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from stage3_mlops.data import DriftSpec, GeneratorConfig, generate_interactions
from stage3_mlops.errors import RegistryError
from stage3_mlops.mlops import CURVE_KS, RecommendationMLOps

pytestmark = pytest.mark.slow


def _mlops(server, name: str) -> RecommendationMLOps:
    return RecommendationMLOps(name, tracking_uri=server.url)


def test_train_model_logs_everything_a_run_needs(
    tracking_server, interactions: pd.DataFrame, experiment_name: str
) -> None:
    mlops = _mlops(tracking_server, experiment_name)
    result = mlops.train_model(interactions, None, {"model": "ease", "l2": 100.0})
    client = MlflowClient(tracking_server.url)
    run = client.get_run(result.run_id)
    assert run.data.params["model"] == "ease" and run.data.params["l2"] == "100.0"
    assert run.data.metrics["ndcg_at_10"] == pytest.approx(result.metrics["ndcg_at_10"])
    for name in ("precision", "recall", "map", "hit_rate", "coverage"):
        assert f"{name}_at_10" in run.data.metrics
    curve = client.get_metric_history(result.run_id, "ndcg_at_k")
    assert sorted(m.step for m in curve) == list(CURVE_KS)
    assert {d.dataset.name for d in run.inputs.dataset_inputs} == {
        "interactions-training",
        "interactions-validation",
    }
    artifacts = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"metrics_at_k.png", "reference_profile.json", "data"} <= artifacts
    model = mlflow.pyfunc.load_model(result.model_uri)
    assert [p.name for p in model.metadata.get_params_schema().params] == ["k"]
    users = interactions["user_id"].unique()[:4]
    out = model.predict(pd.DataFrame({"user_id": users}), params={"k": 3})
    assert len(out) == 12 and out.groupby("user_id").size().eq(3).all()


def test_deploy_promotes_only_better_models_and_rollback_restores(
    tracking_server, interactions: pd.DataFrame, experiment_name: str
) -> None:
    mlops = _mlops(tracking_server, experiment_name)
    mlops.train_model(interactions, None, {"model": "popularity"})
    first = mlops.deploy_best_model(metric="ndcg_at_10")
    assert first.promoted and first.champion_version == "1"
    mlops.train_model(interactions, None, {"model": "ease", "l2": 100.0})
    second = mlops.deploy_best_model(metric="ndcg_at_10")
    assert second.promoted and second.champion_version == "2"
    assert second.reason.startswith("better") and "champion v1" in second.reason
    again = mlops.deploy_best_model(metric="ndcg_at_10")
    assert not again.promoted and "already the champion" in again.reason

    client = MlflowClient(tracking_server.url)
    tags = client.get_model_version(mlops.model_name, "2").tags
    assert "promotion_reason" in tags and "promoted_at" in tags
    assert json.loads(client.get_registered_model(mlops.model_name).tags["champion_history"]) == [
        "1",
        "2",
    ]
    back = mlops.rollback()
    assert back.champion_version == "1" and back.previous_version == "2"
    assert client.get_model_version_by_alias(mlops.model_name, "champion").version == "1"
    with pytest.raises(RegistryError, match="no previous champion"):
        mlops.rollback()


def test_deploy_without_runs_names_the_problem(tracking_server, experiment_name: str) -> None:
    with pytest.raises(RegistryError, match="train a model first"):
        _mlops(tracking_server, experiment_name).deploy_best_model()


def test_stable_data_raises_no_alarm_and_drift_triggers_a_better_challenger(
    tracking_server, experiment_name: str
) -> None:
    # Same seed with and without drift: the first 42 days are identical, so one champion serves
    # both scenarios. The grader runs 4 windows per scenario; one window each keeps this short.
    drift = DriftSpec(start_day=42, taste_shift=0.5, new_items=15)
    frames = {
        scenario: generate_interactions(
            GeneratorConfig(n_users=250, n_items=120, n_days=49, seed=4, drift=spec)
        )
        for scenario, spec in (("stable", None), ("drift", drift))
    }
    day = {s: (f["timestamp"] - f["timestamp"].min()).dt.days for s, f in frames.items()}
    history = frames["stable"][day["stable"] < 42]
    pd.testing.assert_frame_equal(history, frames["drift"][day["drift"] < 42])
    mlops = _mlops(tracking_server, experiment_name)
    mlops.train_model(history, None, {"model": "ease", "l2": 100.0})
    mlops.deploy_best_model()

    stable = mlops.monitor_model_performance(frames["stable"][day["stable"] >= 42])
    assert not stable.drift_detected and stable.retraining is None, stable.alarms

    fresh = _mlops(tracking_server, experiment_name)  # a second watcher of the same champion
    drifted = fresh.monitor_model_performance(frames["drift"][day["drift"] >= 42])
    assert drifted.drift_detected and drifted.retraining is not None
    outcome = drifted.retraining
    assert outcome.decision.promoted == (outcome.challenger_score > outcome.champion_score)
    run = MlflowClient(tracking_server.url).get_run(outcome.challenger_run_id)
    assert run.data.tags["stage3.trigger"].startswith("drift:")
