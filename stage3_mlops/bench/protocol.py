"""The evaluation protocol of the benchmark: split, tune on validation, fit, score, over seeds.

``standard`` (the default) is the usual top-k protocol on MovieLens, so figures can be set
beside published ones: positives are the ratings given (≥ 4 on MovieLens, every event on the
generated data), each user's ``ceil(20 %)`` random positives are the test (every user with a
positive keeps a test item), 5 seeds, mean ± sd, NDCG@10 etc. ``project`` is this project's
earlier split (a user with fewer than 5 positives gets no test item), kept for comparison.
Hyperparameters are tuned per seed on a validation split carved from the training part with
the same rule (never on test); the tuned model is then refit on the whole training part.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from stage3_mlops.metrics import RankingMetrics, evaluate_recommender, relevant_items
from stage3_mlops.models import Recommender, create_recommender
from stage3_mlops.preprocess import build_matrix, random_holdout_per_user, random_split_per_user

__all__ = ["PROTOCOLS", "SEARCH", "ModelRuns", "make_model", "per_user_ndcg", "run_protocol"]

Split = Callable[..., tuple[pd.DataFrame, pd.DataFrame]]
PROTOCOLS: dict[str, tuple[Split, str]] = {
    "standard": (
        random_holdout_per_user,
        "per-user random 80/20 (each user's ceil(20%) positives test; every user with a "
        "positive keeps a test item)",
    ),
    "project": (
        random_split_per_user,
        "per-user random 80/20 by rank percentile (users with < 5 positives get no test item)",
    ),
}
SEARCH: dict[str, list[dict[str, Any]]] = {
    "popularity": [{}],
    "item_knn": [{"neighbors": n} for n in (20, 50, 100, 200)],
    "ease": [{"l2": v} for v in (50.0, 200.0, 500.0, 1000.0)],
    "svd": [{"factors": f} for f in (8, 16, 32, 64)],
    "ials": [{"factors": f, "regularization": r} for f in (32, 64) for r in (3.0, 10.0, 20.0)],
    "bpr": [{"factors": f} for f in (16, 32, 64)],
}
_SEEDED = ("svd", "ials", "bpr")  # models with a random initialisation: seeded per split seed


def make_model(name: str, params: dict[str, Any], seed: int) -> Recommender:
    """One unfitted model: the product's four, or iALS/BPR from ``implicit_models``."""
    params = {**params, "seed": seed} if name in _SEEDED else dict(params)
    if name in ("ials", "bpr"):
        from implicit_models import IMPLICIT_MODELS

        return IMPLICIT_MODELS[name](**params)
    return create_recommender(name, **params)


@dataclass
class ModelRuns:
    """One model's results over the seeds."""

    params: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[RankingMetrics] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    per_user_ndcg: list[np.ndarray] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Mean, sd and values per metric; median fit time; tuned settings per seed."""
        out: dict[str, Any] = {"params_per_seed": self.params}
        names = self.metrics[0].model_dump(exclude={"k"}).keys()
        for name in names:
            values = [float(getattr(m, name)) for m in self.metrics]
            key = "evaluated_users" if name == "users" else f"{name}_at_{self.metrics[0].k}"
            out[key] = {
                "mean": statistics.fmean(values),
                "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                "values": values,
            }
        out["fit_seconds"] = {
            "median": statistics.median(self.fit_seconds),
            "values": self.fit_seconds,
        }
        return out


def _tune(name: str, train: pd.DataFrame, split: Split, seed: int) -> tuple[dict[str, Any], float]:
    """Best settings on a validation split carved from ``train``; (params, validation NDCG)."""
    grid = SEARCH[name]
    if len(grid) == 1:
        return grid[0], float("nan")
    inner, valid = split(train, 0.2, seed=seed + 1000)
    matrix = build_matrix(inner)
    scores = [
        evaluate_recommender(make_model(name, p, seed).fit(matrix), inner, valid)[10].ndcg
        for p in grid
    ]
    best = int(np.argmax(scores))
    return grid[best], float(scores[best])


def per_user_ndcg(model: Recommender, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """NDCG@10 of each test user (for the A/B power calculation)."""
    relevant = relevant_items(test, train)
    users = np.array(sorted(relevant))
    recs = model.recommend(users, 10)
    disc = 1 / np.log2(np.arange(2, 12))
    out = []
    for row, user in zip(recs, users, strict=True):
        rel = relevant[int(user)]
        hits = np.array([i in rel for i in row])
        out.append(disc[hits].sum() / disc[: min(10, len(rel))].sum())
    return np.array(out)


def run_protocol(
    frame: pd.DataFrame,
    *,
    protocol: str,
    seeds: Sequence[int],
    models: Sequence[str],
    on_step: Callable[[str], None] | None = None,
) -> dict[str, ModelRuns]:
    """Every model on every seed's split; models are fitted in the same order each seed.

    The timed fit is the refit of the tuned settings on the whole training part, so fit times
    of the models are interleaved (A B C …, A B C …) across seeds as MEASURING asks.
    """
    split = PROTOCOLS[protocol][0]
    runs = {name: ModelRuns() for name in models}
    for seed in seeds:
        train, test = split(frame, 0.2, seed=seed)
        matrix = build_matrix(train)
        for name in models:
            if on_step:
                on_step(f"seed {seed}: {name}")
            params, _ = _tune(name, train, split, seed)
            model = make_model(name, params, seed)
            started = time.perf_counter()
            model.fit(matrix)
            seconds = time.perf_counter() - started
            result = runs[name]
            result.params.append(params)
            result.fit_seconds.append(seconds)
            result.metrics.append(evaluate_recommender(model, train, test)[10])
            result.per_user_ndcg.append(per_user_ndcg(model, train, test))
    return runs
