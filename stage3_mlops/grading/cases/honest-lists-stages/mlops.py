"""Another honest design: precomputed top-50 lists per user (pandas + scikit-learn), a pyfunc
that ships its own code (code_paths), one row per user with a list of items, promotion through
the registry's Production stage, and drift judged by the champion's hit rate on new data."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.metrics.pairwise import cosine_similarity

TOP_N = 50
MAX_DROP = 0.4  # retrain when the hit rate falls by more than 40 % of its validation value


class ListModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        stored = json.loads(Path(context.artifacts["lists"]).read_text())
        self.lists = {int(u): items for u, items in stored["users"].items()}
        self.popular = stored["popular"]

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        k = int((params or {}).get("k", 10))
        users = [int(u) for u in model_input["user_id"]]
        return pd.DataFrame(
            {"user_id": users, "items": [self.lists.get(u, self.popular)[:k] for u in users]}
        )


def top_lists(frame: pd.DataFrame, hyperparams: dict) -> dict:
    matrix = pd.crosstab(frame["user_id"], frame["item_id"]).clip(upper=1)
    counts = matrix.sum(axis=0)
    if hyperparams["model"] == "popularity":
        scores = pd.DataFrame(
            np.tile(counts.to_numpy(float), (len(matrix), 1)), index=matrix.index, columns=matrix.columns
        )
    elif hyperparams["model"] == "item_knn":
        sim = cosine_similarity(matrix.T.to_numpy(float))
        np.fill_diagonal(sim, 0)
        keep = int(hyperparams.get("neighbors", 50))
        if keep < sim.shape[0]:
            sim[sim < -np.sort(-sim, axis=0)[keep - 1]] = 0
        scores = pd.DataFrame(matrix.to_numpy(float) @ sim, index=matrix.index, columns=matrix.columns)
    else:
        raise ValueError(f"model must be popularity or item_knn, not {hyperparams['model']!r}")
    scores = scores.mask(matrix.astype(bool), -np.inf)
    users = {
        str(u): [int(i) for i in row.sort_values(ascending=False, kind="stable").index[:TOP_N]]
        for u, row in scores.iterrows()
    }
    popular = [int(i) for i in counts.sort_values(ascending=False, kind="stable").index[:TOP_N]]
    return {"users": users, "popular": popular}


def hit_rate(lists: dict, frame: pd.DataFrame, k: int = 10) -> float:
    hits = [
        bool(set(lists["users"][str(u)][:k]) & set(rows["item_id"]))
        for u, rows in frame.groupby("user_id")
        if str(u) in lists["users"]
    ]
    return float(np.mean(hits)) if hits else 0.0


def ndcg(lists: dict, frame: pd.DataFrame, k: int = 10) -> float:
    values = []
    for u, rows in frame.groupby("user_id"):
        if str(u) not in lists["users"]:
            continue
        relevant = set(rows["item_id"])
        gains = [1 / np.log2(r + 2) for r, i in enumerate(lists["users"][str(u)][:k]) if i in relevant]
        ideal = sum(1 / np.log2(r + 2) for r in range(min(k, len(relevant))))
        values.append(sum(gains) / ideal)
    return float(np.mean(values)) if values else 0.0


class RecommendationMLOps:
    def __init__(self, experiment_name: str):
        self.experiment_id = mlflow.set_experiment(experiment_name).experiment_id
        self.client = MlflowClient()
        self.name = f"{experiment_name}-lists"
        self.history: pd.DataFrame | None = None
        self.hyperparams: dict = {}

    def train_model(self, X_train: pd.DataFrame, y_train: Any, hyperparams: dict) -> None:
        split = X_train["timestamp"].quantile(0.8)
        early, late = X_train[X_train["timestamp"] <= split], X_train[X_train["timestamp"] > split]
        with mlflow.start_run(run_name=f"{hyperparams['model']}-{time.strftime('%H%M%S')}"):
            mlflow.log_params(hyperparams)
            held_out = top_lists(early, hyperparams)
            mlflow.log_metrics({"ndcg_at_10": ndcg(held_out, late), "hit_rate_at_10": hit_rate(held_out, late)})
            lists = top_lists(X_train, hyperparams)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "lists.json"
                path.write_text(json.dumps(lists))
                example = pd.DataFrame({"user_id": [int(u) for u in list(lists["users"])[:2]]})
                mlflow.pyfunc.log_model(
                    name="model",
                    python_model=ListModel(),
                    artifacts={"lists": str(path)},
                    code_paths=[__file__],
                    signature=infer_signature(example, params={"k": 10}),
                    pip_requirements=["mlflow", "pandas", "scikit-learn"],
                )
        self.history, self.hyperparams = X_train, dict(hyperparams)

    def _production(self) -> Any:
        try:
            found = self.client.get_latest_versions(self.name, stages=["Production"])
        except mlflow.exceptions.MlflowException:
            return None
        return found[0] if found else None

    def deploy_best_model(self, metric: str = "ndcg_at_10") -> None:
        best = self.client.search_runs(
            [self.experiment_id], f"metrics.{metric} >= 0", order_by=[f"metrics.{metric} DESC"], max_results=1
        )[0]
        current = self._production()
        if current is not None:
            if current.run_id == best.info.run_id:
                return
            if self.client.get_run(current.run_id).data.metrics[metric] >= best.data.metrics[metric]:
                return
        version = mlflow.register_model(f"runs:/{best.info.run_id}/model", self.name)
        self.client.set_model_version_tag(self.name, version.version, "promoted_at", str(time.time_ns()))
        self.client.transition_model_version_stage(
            self.name, version.version, "Production", archive_existing_versions=True
        )

    def rollback(self) -> None:
        current = self._production()
        if current is None:
            raise RuntimeError("nothing in Production")
        self.client.set_model_version_tag(self.name, current.version, "rolled_back", "true")
        candidates = [
            v
            for v in self.client.search_model_versions(f"name = '{self.name}'")
            if "promoted_at" in v.tags and "rolled_back" not in v.tags and v.version != current.version
        ]
        if not candidates:
            raise RuntimeError("no earlier Production version")
        previous = max(candidates, key=lambda v: int(v.tags["promoted_at"]))
        self.client.transition_model_version_stage(
            self.name, previous.version, "Production", archive_existing_versions=True
        )

    def monitor_model_performance(self, recent_interactions: pd.DataFrame | None = None) -> bool:
        current = self._production()
        if current is None or recent_interactions is None:
            return False
        with tempfile.TemporaryDirectory() as tmp:
            path = mlflow.artifacts.download_artifacts(
                f"models:/{self.name}/{current.version}", dst_path=tmp
            )
            lists = json.loads(next(Path(path).rglob("lists.json")).read_text())
        baseline = self.client.get_run(current.run_id).data.metrics["hit_rate_at_10"]
        now = hit_rate(lists, recent_interactions)
        drop = 1 - now / baseline if baseline else 0.0
        with mlflow.start_run(run_name="monitor"):
            mlflow.log_metrics({"online_hit_rate_at_10": now, "hit_rate_drop": drop})
        if drop > MAX_DROP and self.history is not None:
            self.train_model(pd.concat([self.history, recent_interactions]), None, self.hyperparams)
            self.deploy_best_model()
            return True
        return False
