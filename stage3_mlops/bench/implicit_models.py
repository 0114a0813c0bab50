"""iALS and BPR from the ``implicit`` package, behind stage 3's ``Recommender`` interface.

Only the benchmark uses them (the product's four models need no compiled extension). They
learn user vectors, so they score known users by ``user · item`` instead of from the history;
cold-start users get the popularity ranking like every other model here. ``implicit`` is the
``bench`` extra of ``stage3-mlops``; without it the benchmark says so and skips them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from stage3_mlops.models import Recommender

__all__ = ["IMPLICIT_MODELS", "BPRRecommender", "IALSRecommender", "implicit_missing"]


def implicit_missing() -> str | None:
    """None when ``implicit`` imports, else why not (printed by the bench and kept in its JSON)."""
    try:
        import implicit  # noqa: F401
    except ImportError as exc:
        return f"implicit is not installed ({exc}); `uv sync --frozen` installs the bench extra"
    return None


def _fit_quietly(build: Callable[[], Any], matrix: sparse.csr_matrix) -> Any:
    """Build and fit with BLAS at one thread: implicit parallelises itself and warns otherwise."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        model = build()
        model.fit(matrix.astype(np.float32).tocsr(), show_progress=False)
    return model


class _FactorRecommender(Recommender):
    user_factors: np.ndarray
    item_factors: np.ndarray

    def _score_known(self, positions: np.ndarray, rows: sparse.csr_matrix) -> np.ndarray:
        del rows
        return np.asarray(self.user_factors[positions] @ self.item_factors.T)

    def _score(self, rows: sparse.csr_matrix) -> np.ndarray:
        raise NotImplementedError("factor models score users by position, see _score_known")


class IALSRecommender(_FactorRecommender):
    """Implicit ALS (Hu, Koren & Volinsky 2008), confidence ``1 + alpha · r``."""

    name = "ials"
    defaults: ClassVar[dict[str, float | int]] = {
        "factors": 64,
        "regularization": 10.0,
        "alpha": 1.0,
        "iterations": 15,
        "seed": 0,
    }

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        p = self.params
        model = _fit_quietly(
            lambda: AlternatingLeastSquares(
                factors=int(p["factors"]),
                regularization=float(p["regularization"]),
                alpha=float(p["alpha"]),
                iterations=int(p["iterations"]),
                random_state=int(p["seed"]),
            ),
            matrix,
        )
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)


class BPRRecommender(_FactorRecommender):
    """Bayesian personalised ranking (Rendle et al. 2009), SGD on sampled item pairs."""

    name = "bpr"
    defaults: ClassVar[dict[str, float | int]] = {
        "factors": 64,
        "learning_rate": 0.01,
        "regularization": 0.01,
        "iterations": 100,
        "seed": 0,
    }

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        p = self.params
        model = _fit_quietly(
            lambda: BayesianPersonalizedRanking(
                factors=int(p["factors"]),
                learning_rate=float(p["learning_rate"]),
                regularization=float(p["regularization"]),
                iterations=int(p["iterations"]),
                random_state=int(p["seed"]),
            ),
            matrix,
        )
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)


IMPLICIT_MODELS: dict[str, type[Recommender]] = {"ials": IALSRecommender, "bpr": BPRRecommender}
