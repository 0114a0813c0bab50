"""Ranking metrics at k: precision, recall, NDCG, MAP, hit rate and catalogue coverage."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel

from stage3_mlops.models import Recommender

__all__ = ["RankingMetrics", "evaluate_recommender", "ranking_metrics", "relevant_items"]


class RankingMetrics(BaseModel):
    """Averages over evaluated users of one ranking at cut-off ``k``."""

    k: int
    users: int
    precision: float
    recall: float
    ndcg: float
    map: float
    hit_rate: float
    coverage: float

    def as_mlflow(self) -> dict[str, float]:
        """Metric names as logged to MLflow, e.g. ``ndcg_at_10``."""
        values = self.model_dump(exclude={"k", "users"})
        return {f"{name}_at_{self.k}": float(value) for name, value in values.items()}


def ranking_metrics(
    recommended: np.ndarray, relevant: Sequence[set[int]], *, k: int, catalogue_size: int
) -> RankingMetrics:
    """Score ``recommended`` (users × ≥k item ids) against each user's set of relevant items.

    Recall divides by all relevant items; NDCG and MAP normalise by ``min(k, |relevant|)`` so a
    perfect top-k scores 1 even when a user has more than k relevant items.
    """
    top = recommended[:, :k]
    n_users = len(relevant)
    if n_users == 0:
        return RankingMetrics(
            k=k, users=0, precision=0, recall=0, ndcg=0, map=0, hit_rate=0, coverage=0
        )
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    sums = np.zeros(5)
    for row, rel in zip(top, relevant, strict=True):
        hits = np.fromiter((item in rel for item in row), dtype=bool, count=len(row))
        n_hits = int(hits.sum())
        ideal = min(k, len(rel))
        dcg = float(discounts[: len(row)][hits].sum())
        idcg = float(discounts[:ideal].sum())
        precisions = np.cumsum(hits) / np.arange(1, len(row) + 1)
        sums += (
            n_hits / k,
            n_hits / len(rel),
            dcg / idcg,
            float(precisions[hits].sum()) / ideal,
            float(n_hits > 0),
        )
    means = sums / n_users
    coverage = len(np.unique(top)) / max(catalogue_size, 1)
    return RankingMetrics(
        k=k,
        users=n_users,
        precision=means[0],
        recall=means[1],
        ndcg=means[2],
        map=means[3],
        hit_rate=means[4],
        coverage=coverage,
    )


def relevant_items(holdout: pd.DataFrame, history: pd.DataFrame) -> dict[int, set[int]]:
    """Each holdout user's items that were not already in their history (re-views do not count)."""
    seen = set(zip(history["user_id"].to_numpy(), history["item_id"].to_numpy(), strict=True))
    out: dict[int, set[int]] = {}
    for user, item in zip(
        holdout["user_id"].to_numpy(), holdout["item_id"].to_numpy(), strict=True
    ):
        if (user, item) not in seen:
            out.setdefault(int(user), set()).add(int(item))
    return out


def evaluate_recommender(
    model: Recommender,
    history: pd.DataFrame,
    holdout: pd.DataFrame,
    *,
    ks: Sequence[int] = (10,),
    exclude_history: bool = False,
) -> dict[int, RankingMetrics]:
    """Metrics of ``model`` on ``holdout`` for each cut-off in ``ks`` (one ranking call, max k).

    Every holdout user with at least one new item is evaluated, cold-start users included (they
    receive the popularity fallback), so the score reflects what serving would show. With
    ``exclude_history`` the items in ``history`` but not in the model's training data (consumed
    since it was trained) are filtered out too, as a serving layer would.
    """
    relevant = relevant_items(holdout, history)
    users = np.array(sorted(relevant), dtype=np.int64)
    k_max = max(ks)
    exclude: dict[int, set[int]] | None = None
    if exclude_history:
        exclude = {}
        pairs = zip(history["user_id"].to_numpy(), history["item_id"].to_numpy(), strict=True)
        for user, item in pairs:
            exclude.setdefault(int(user), set()).add(int(item))
    recommended = (
        model.recommend(users, k_max, exclude=exclude)
        if len(users)
        else np.empty((0, k_max), np.int64)
    )
    rel_list = [relevant[int(u)] for u in users]
    return {
        k: ranking_metrics(recommended, rel_list, k=k, catalogue_size=len(model.item_ids))
        for k in ks
    }
