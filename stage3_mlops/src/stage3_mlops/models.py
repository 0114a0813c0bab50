"""Four recommenders behind one small interface: popularity, item-kNN, EASE and truncated SVD.

Each one learns from an :class:`~stage3_mlops.preprocess.InteractionMatrix` and ranks the items
a user has not seen yet. Their learned state is plain numpy arrays, saved with ``np.savez`` so the
MLflow pyfunc wrapper can reload any of them without pickling classes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD

from stage3_mlops.errors import ModelError
from stage3_mlops.preprocess import InteractionMatrix

__all__ = [
    "MODEL_NAMES",
    "EASERecommender",
    "ItemKNNRecommender",
    "PopularityRecommender",
    "Recommender",
    "SVDRecommender",
    "create_recommender",
    "load_recommender",
]


class Recommender:
    """Base class: keeps the catalogue, the seen items and popularity (the cold-start fallback)."""

    name: ClassVar[str] = "base"
    defaults: ClassVar[dict[str, float | int]] = {}

    def __init__(self, **params: float | int) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ModelError(
                f"{self.name}: unknown hyperparameters {sorted(unknown)}; "
                f"accepted: {sorted(self.defaults) or 'none'}"
            )
        self.params: dict[str, float | int] = {**self.defaults, **params}
        self.user_ids = np.empty(0, dtype=np.int64)
        self.item_ids = np.empty(0, dtype=np.int64)
        self.seen = sparse.csr_matrix((0, 0), dtype=np.float32)
        self.popularity = np.empty(0, dtype=np.float64)

    # ---- learning -------------------------------------------------------------------------
    def fit(self, data: InteractionMatrix) -> Recommender:
        """Learn from the user-item matrix; returns self."""
        self.user_ids = data.user_ids.astype(np.int64)
        self.item_ids = data.item_ids.astype(np.int64)
        self.seen = data.matrix.astype(np.float32).tocsr()
        self.popularity = np.asarray((self.seen > 0).sum(axis=0), dtype=np.float64).ravel()
        self._fit(self.seen)
        return self

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        raise NotImplementedError

    def _score(self, rows: sparse.csr_matrix) -> np.ndarray:
        """Dense scores (users × items) for the given history rows."""
        raise NotImplementedError

    def _score_known(self, positions: np.ndarray, rows: sparse.csr_matrix) -> np.ndarray:
        """Scores of known users given their row positions and histories.

        Item-item models need only the history; a factor model with learned user vectors
        overrides this to use ``positions``.
        """
        del positions
        return self._score(rows)

    # ---- ranking --------------------------------------------------------------------------
    def recommend(
        self,
        user_ids: np.ndarray | list[int],
        k: int = 10,
        *,
        exclude: Mapping[int, Collection[int]] | None = None,
    ) -> np.ndarray:
        """Top-``k`` unseen item ids per user, shape (n_users, k).

        Unknown users (cold start) get the popularity ranking. ``exclude`` adds items per user
        that must not be recommended either (e.g. consumed since the model was trained).
        """
        if k < 1:
            raise ModelError(f"k must be at least 1, got {k}")
        users = np.asarray(user_ids, dtype=np.int64)
        k = min(k, len(self.item_ids))
        positions = np.clip(
            np.searchsorted(self.user_ids, users), 0, max(len(self.user_ids) - 1, 0)
        )
        known = (len(self.user_ids) > 0) & (self.user_ids[positions] == users)
        scores = np.tile(self.popularity, (len(users), 1))
        if known.any():
            rows = self.seen[positions[known]]
            known_scores = self._score_known(positions[known], rows).astype(np.float64)
            known_scores[rows.nonzero()] = -np.inf  # never recommend what the user already has
            scores[known] = known_scores
        for row, user in enumerate(users):
            extra = (exclude or {}).get(int(user))
            if extra:
                cols = np.searchsorted(self.item_ids, np.fromiter(extra, dtype=np.int64))
                cols = cols[cols < len(self.item_ids)]
                cols = cols[np.isin(self.item_ids[cols], list(extra))]
                scores[row, cols] = -np.inf
        # tie-break on popularity so equal scores rank the same way on every run
        scores = scores + 1e-9 * self.popularity / max(float(self.popularity.max(initial=0)), 1.0)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        return self.item_ids[np.take_along_axis(top, order, axis=1)]

    def recommend_frame(self, user_ids: np.ndarray | list[int], k: int = 10) -> pd.DataFrame:
        """Long-format recommendations: one row per (user_id, rank, item_id)."""
        users = np.asarray(user_ids, dtype=np.int64)
        items = self.recommend(users, k)
        k_eff = items.shape[1]
        return pd.DataFrame(
            {
                "user_id": np.repeat(users, k_eff),
                "rank": np.tile(np.arange(1, k_eff + 1, dtype=np.int64), len(users)),
                "item_id": items.ravel(),
            }
        )

    # ---- persistence ----------------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        return {}

    def _load_state(self, state: dict[str, np.ndarray]) -> None:
        del state

    def save(self, path: str | Path) -> Path:
        """Write the learned state to one ``.npz`` file (atomically) and return its path."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp.npz")
        seen = self.seen.tocsr()
        np.savez(
            tmp,
            _name=np.array(self.name),
            _params=np.array(json.dumps(self.params)),
            _user_ids=self.user_ids,
            _item_ids=self.item_ids,
            _popularity=self.popularity,
            _seen_data=seen.data,
            _seen_indices=seen.indices,
            _seen_indptr=seen.indptr,
            **self._state(),  # type: ignore[arg-type]  # numpy stubs type **kwds too narrowly
        )
        tmp.replace(target)
        return target


class PopularityRecommender(Recommender):
    """Most-interacted items first: the baseline every other model must beat."""

    name = "popularity"

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        del matrix

    def _score(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.tile(self.popularity, (rows.shape[0], 1))


class ItemKNNRecommender(Recommender):
    """Item-based k-nearest neighbours on cosine similarity of item columns."""

    name = "item_knn"
    defaults: ClassVar[dict[str, float | int]] = {"neighbors": 50, "shrink": 0.0}

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        sim = gram / (np.outer(norms, norms) + float(self.params["shrink"]) + 1e-12)
        np.fill_diagonal(sim, 0.0)
        n = int(self.params["neighbors"])
        if 0 < n < sim.shape[0]:
            # keep each item's n most similar neighbours (per column) and zero the rest
            cut = np.partition(sim, -n, axis=0)[-n]
            sim[sim < cut[np.newaxis, :]] = 0.0
        self.similarity = sim.astype(np.float32)

    def _score(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.similarity)

    def _state(self) -> dict[str, np.ndarray]:
        return {"similarity": self.similarity}

    def _load_state(self, state: dict[str, np.ndarray]) -> None:
        self.similarity = state["similarity"]


class EASERecommender(Recommender):
    """EASE (Steck, 2019): a closed-form item-item linear model with an L2 penalty."""

    name = "ease"
    defaults: ClassVar[dict[str, float | int]] = {"l2": 200.0}

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += float(self.params["l2"])
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)
        np.fill_diagonal(weights, 0.0)
        self.weights = weights.astype(np.float32)

    def _score(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.weights)

    def _state(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights}

    def _load_state(self, state: dict[str, np.ndarray]) -> None:
        self.weights = state["weights"]


class SVDRecommender(Recommender):
    """Matrix factorisation by truncated SVD; users are folded in as ``x · Vᵀ · V``."""

    name = "svd"
    defaults: ClassVar[dict[str, float | int]] = {"factors": 32, "seed": 0}

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        factors = max(1, min(int(self.params["factors"]), min(matrix.shape) - 1))
        svd = TruncatedSVD(n_components=factors, random_state=int(self.params["seed"]))
        svd.fit(matrix)
        self.components = svd.components_.astype(np.float32)

    def _score(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(np.asarray(rows @ self.components.T) @ self.components)

    def _state(self) -> dict[str, np.ndarray]:
        return {"components": self.components}

    def _load_state(self, state: dict[str, np.ndarray]) -> None:
        self.components = state["components"]


_REGISTRY: dict[str, type[Recommender]] = {
    cls.name: cls
    for cls in (PopularityRecommender, ItemKNNRecommender, EASERecommender, SVDRecommender)
}
MODEL_NAMES = tuple(_REGISTRY)


def create_recommender(name: str, **params: Any) -> Recommender:
    """Build an unfitted recommender by name (``popularity``, ``item_knn``, ``ease``, ``svd``)."""
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; choose one of {list(MODEL_NAMES)}") from None
    return cls(**params)


def load_recommender(path: str | Path) -> Recommender:
    """Rebuild a fitted recommender from the ``.npz`` written by :meth:`Recommender.save`."""
    with np.load(Path(path), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    model = create_recommender(str(arrays.pop("_name")))
    model.params = json.loads(str(arrays.pop("_params")))
    model.user_ids = arrays.pop("_user_ids")
    model.item_ids = arrays.pop("_item_ids")
    model.popularity = arrays.pop("_popularity")
    model.seen = sparse.csr_matrix(
        (arrays.pop("_seen_data"), arrays.pop("_seen_indices"), arrays.pop("_seen_indptr")),
        shape=(len(model.user_ids), len(model.item_ids)),
    )
    model._load_state(arrays)
    return model
