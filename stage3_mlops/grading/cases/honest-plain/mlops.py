"""RecommendationMLOps written plainly: numpy popularity and item-kNN, my own pyfunc class,
the champion alias with a history tag, and drift as item-popularity distance + new items."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

K = 10
TV_LIMIT = 0.3  # stable weeks measured at about 0.18 here
NEW_ITEM_LIMIT = 0.1


class TopKRecommender(mlflow.pyfunc.PythonModel):
    """Scores for known users, popularity for the rest; never recommends what a user has seen."""

    def load_context(self, context: Any) -> None:
        data = np.load(context.artifacts["model"])
        self.users = data["users"]
        self.items = data["items"]
        self.scores = data["scores"]
        self.seen = data["seen"]
        self.popularity = data["popularity"]
        self.index = {int(u): i for i, u in enumerate(self.users)}

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        k = int((params or {}).get("k", K))
        rows = []
        for user in model_input["user_id"]:
            i = self.index.get(int(user))
            if i is None:
                scores = self.popularity.astype(float)
            else:
                scores = np.where(self.seen[i], -np.inf, self.scores[i])
            order = np.argsort(-scores, kind="stable")[:k]
            rows += [
                {"user_id": int(user), "rank": r + 1, "item_id": int(self.items[j])}
                for r, j in enumerate(order)
            ]
        return pd.DataFrame(rows, columns=["user_id", "rank", "item_id"])


def fit(train: pd.DataFrame, hyperparams: dict) -> dict[str, np.ndarray]:
    users = np.sort(train["user_id"].unique())
    items = np.sort(train["item_id"].unique())
    u = np.searchsorted(users, train["user_id"])
    i = np.searchsorted(items, train["item_id"])
    seen = np.zeros((len(users), len(items)), dtype=bool)
    seen[u, i] = True
    popularity = seen.sum(axis=0).astype(float)
    kind = hyperparams.get("model", "item_knn")
    if kind == "popularity":
        scores = np.tile(popularity, (len(users), 1))
    elif kind == "item_knn":
        x = seen.astype(float)
        norms = np.sqrt(x.sum(axis=0)) + 1e-9
        sim = (x.T @ x) / np.outer(norms, norms)
        np.fill_diagonal(sim, 0.0)
        n = int(hyperparams.get("neighbors", 50))
        if n < len(items):
            cut = -np.sort(-sim, axis=0)[n - 1]
            sim = np.where(sim >= cut, sim, 0.0)
        scores = x @ sim
    else:
        raise ValueError(f"unknown model {kind!r}: use 'popularity' or 'item_knn'")
    return {"users": users, "items": items, "scores": scores, "seen": seen, "popularity": popularity}


def ndcg_at_k(model: dict[str, np.ndarray], valid: pd.DataFrame, k: int = K) -> float:
    index = {int(u): n for n, u in enumerate(model["users"])}
    total, count = 0.0, 0
    for user, rows in valid.groupby("user_id"):
        if int(user) not in index:
            continue
        n = index[int(user)]
        scores = np.where(model["seen"][n], -np.inf, model["scores"][n])
        top = model["items"][np.argsort(-scores, kind="stable")[:k]]
        relevant = set(rows["item_id"].astype(int))
        dcg = sum(1 / np.log2(r + 2) for r, item in enumerate(top) if int(item) in relevant)
        ideal = sum(1 / np.log2(r + 2) for r in range(min(k, len(relevant))))
        total += dcg / ideal if ideal else 0.0
        count += 1
    return total / count if count else 0.0


class RecommendationMLOps:
    def __init__(self, experiment_name: str):
        mlflow.set_experiment(experiment_name)
        self.client = MlflowClient()
        self.experiment = self.client.get_experiment_by_name(experiment_name)
        self.model_name = f"{experiment_name}-recommender"
        self.data: pd.DataFrame | None = None
        self.params: dict = {}

    def train_model(self, X_train: pd.DataFrame, y_train: Any, hyperparams: dict) -> str:
        cut = X_train["timestamp"].max() - pd.Timedelta(days=7)
        train, valid = X_train[X_train["timestamp"] <= cut], X_train[X_train["timestamp"] > cut]
        with mlflow.start_run() as run:
            mlflow.log_params(hyperparams)
            score = ndcg_at_k(fit(train, hyperparams), valid)
            mlflow.log_metric("ndcg_at_10", score)
            model = fit(X_train, hyperparams)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.npz"
                np.savez(path, **model)
                counts = X_train["item_id"].value_counts(normalize=True)
                (Path(tmp) / "reference.json").write_text(
                    json.dumps({str(k): float(v) for k, v in counts.items()})
                )
                mlflow.log_artifact(str(Path(tmp) / "reference.json"))
                example = pd.DataFrame({"user_id": model["users"][:2].astype("int64")})
                wrapper = TopKRecommender()
                signature = infer_signature(example, pd.DataFrame({"user_id": [1], "rank": [1], "item_id": [1]}), params={"k": K})
                mlflow.pyfunc.log_model(
                    name="model",
                    python_model=wrapper,
                    artifacts={"model": str(path)},
                    signature=signature,
                    pip_requirements=["mlflow", "numpy", "pandas"],
                )
        self.data, self.params = X_train.copy(), dict(hyperparams)
        return run.info.run_id

    def _champion(self) -> Any:
        try:
            return self.client.get_model_version_by_alias(self.model_name, "champion")
        except mlflow.exceptions.MlflowException:
            return None

    def deploy_best_model(self, metric: str = "ndcg_at_10") -> None:
        runs = self.client.search_runs(
            [self.experiment.experiment_id],
            filter_string=f"metrics.{metric} >= 0",
            order_by=[f"metrics.{metric} DESC"],
            max_results=1,
        )
        if not runs:
            raise RuntimeError("train a model first")
        best = runs[0]
        champion = self._champion()
        if champion is not None:
            current = self.client.get_run(champion.run_id).data.metrics.get(metric, -np.inf)
            if champion.run_id == best.info.run_id or best.data.metrics[metric] <= current:
                return
        version = mlflow.register_model(f"runs:/{best.info.run_id}/model", self.model_name)
        self._set_champion(str(version.version), push=True)

    def _set_champion(self, version: str, *, push: bool) -> None:
        history = self._history()
        history = [*history, version] if push else history
        self.client.set_registered_model_alias(self.model_name, "champion", history[-1])
        self.client.set_registered_model_tag(self.model_name, "champion_history", json.dumps(history))

    def _history(self) -> list[str]:
        tags = self.client.get_registered_model(self.model_name).tags
        return json.loads(tags.get("champion_history", "[]"))

    def rollback(self) -> None:
        history = self._history()
        if len(history) < 2:
            raise RuntimeError("no earlier champion to roll back to")
        self.client.set_registered_model_tag(self.model_name, "champion_history", json.dumps(history[:-1]))
        self.client.set_registered_model_alias(self.model_name, "champion", history[-2])

    def monitor_model_performance(self, recent_interactions: pd.DataFrame | None = None) -> dict:
        champion = self._champion()
        if champion is None or recent_interactions is None:
            return {"drift": False}
        reference = pd.Series(mlflow.artifacts.load_dict(f"runs:/{champion.run_id}/reference.json"))
        reference.index = reference.index.astype(int)
        current = recent_interactions["item_id"].value_counts(normalize=True)
        both = reference.index.union(current.index)
        tv = 0.5 * (reference.reindex(both, fill_value=0) - current.reindex(both, fill_value=0)).abs().sum()
        new_share = float((~recent_interactions["item_id"].isin(reference.index)).mean())
        drift = tv > TV_LIMIT or new_share > NEW_ITEM_LIMIT
        with mlflow.start_run(run_name="monitor"):
            mlflow.log_metrics({"item_tv_distance": tv, "new_item_share": new_share})
            mlflow.set_tag("drift", str(drift))
        if drift and self.data is not None:
            self.train_model(pd.concat([self.data, recent_interactions]), None, self.params)
            self.deploy_best_model()
        return {"drift": drift, "tv": tv, "new_item_share": new_share}
