"""Step 3 (stage 3): train a grid of recommenders in MLflow, promote the best, watch for drift."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mlflow.tracking import MlflowClient

from demo.config import DemoSettings
from demo.results import Artifact, StepResult, write_json
from stage3_mlops import GeneratorConfig, RecommendationMLOps, generate_interactions

__all__ = ["MlopsHandoff", "run_mlops"]

CHAMPION = "champion"  # the alias stage 3 promotes and stage 5 serves


class MlopsHandoff:
    """What step 5 needs from step 3: where the registry is and which model to serve.

    ``model_name`` is stage 3's registered recommender itself: stage 5 serves its ``champion``
    alias, reading ``features[0]`` as the ``user_id`` its signature names and answering with
    the top row of its ranked list.
    """

    def __init__(self, tracking_uri: str, model_name: str, store_dir: str | None) -> None:
        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self.store_dir = store_dir  # the SQLite store's folder, None for a remote server


def tracking_uri_for(settings: DemoSettings) -> tuple[str, str | None]:
    """``MLFLOW_TRACKING_URI`` when set, else a SQLite store under the demo's output folder."""
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri, None
    folder = settings.out / "stage3" / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}", str(folder)


def run_mlops(settings: DemoSettings) -> tuple[StepResult, MlopsHandoff]:
    """Train every grid entry as an MLflow run, promote the best to ``champion``, then monitor
    one week the model has not seen. Stage 5 then serves the champion as it is registered."""
    profile = settings.profile
    out = settings.out / "stage3"
    out.mkdir(parents=True, exist_ok=True)
    uri, store_dir = tracking_uri_for(settings)
    experiment = f"demo-recsys-{settings.scale.value}"
    _ensure_experiment(uri, experiment, store_dir)
    data = generate_interactions(
        GeneratorConfig(
            n_users=profile.users,
            n_items=profile.items,
            n_days=profile.days + 7,
            seed=settings.seed,
        )
    )
    cutoff = data["timestamp"].max() - pd.Timedelta(days=7)
    history, next_week = data[data["timestamp"] <= cutoff], data[data["timestamp"] > cutoff]
    mlops = RecommendationMLOps(experiment, tracking_uri=uri)
    runs = [mlops.train_model(history, None, dict(params)) for params in profile.grid]
    decision = mlops.deploy_best_model(metric="ndcg_at_10")
    monitoring = mlops.monitor_model_performance(next_week, retrain=False)
    ranked = sorted(runs, key=lambda r: -r.metrics.get("ndcg_at_10", 0.0))
    leaderboard = [
        {
            "run_id": r.run_id,
            "model": r.model_type,
            "params": r.hyperparams,
            "ndcg_at_10": r.metrics.get("ndcg_at_10"),
        }
        for r in ranked
    ]
    write_json(
        out / "summary.json",
        {
            "tracking_uri": uri,
            "experiment": experiment,
            "leaderboard": leaderboard,
            "deployment": decision.model_dump(),
            "monitoring": monitoring.model_dump(),
            "api_model": {
                "name": decision.model_name,
                "version": decision.champion_version,
                "alias": CHAMPION,
            },
        },
    )
    best = leaderboard[0]
    summary = {
        "interactions": len(history),
        "mlflow_runs": len(runs),
        "best_model": f"{best['model']} (ndcg@10 {best['ndcg_at_10']:.3f})",
        "champion": f"{decision.model_name} v{decision.champion_version}",
        "next_week_drift": monitoring.drift_detected,
        "api_model": f"{decision.model_name} v{decision.champion_version} @{CHAMPION}",
    }
    artifacts = [Artifact(label="MLflow tracking store", location=uri, kind="url")]
    if store_dir:
        artifacts = [
            Artifact(label="MLflow store (SQLite)", location=f"{store_dir}/mlflow.db"),
            Artifact(label="MLflow artefacts", location=f"{store_dir}/artifacts", kind="folder"),
        ]
    artifacts.append(
        Artifact(label="leaderboard, deployment, drift", location=str(out / "summary.json"))
    )
    step = StepResult(
        step="mlops",
        stage=3,
        title="Train, track, register, promote (실험 관리, 모델 버저닝)",
        summary=summary,
        artifacts=artifacts,
    )
    return step, MlopsHandoff(uri, decision.model_name, store_dir)


def _ensure_experiment(uri: str, name: str, store_dir: str | None) -> None:
    """Create the experiment with its artefacts beside the SQLite file (not in ./mlruns)."""
    client = MlflowClient(tracking_uri=uri)
    if client.get_experiment_by_name(name) is not None:
        return
    location = None
    if store_dir:
        location = (Path(store_dir) / "artifacts").resolve().as_uri()
    client.create_experiment(name, artifact_location=location)
