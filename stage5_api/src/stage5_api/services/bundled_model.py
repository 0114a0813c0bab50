"""The bundled scikit-learn models: trained from generated data so the service runs standalone.

Two kinds, because the cost of one model call decides the serving design (issue 7): a logistic
regression answers a row in ~0.1 ms, so HTTP handling dominates; a random forest of 100 trees
takes ~3 ms per call whatever the batch size up to ~64 rows, so per-request calls collapse and
micro-batching pays most. ``STAGE5_BUNDLED_MODEL=forest`` selects the forest.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from stage5_api.core.config import ModelKind

__all__ = [
    "BUNDLED_KINDS",
    "BUNDLED_N_FEATURES",
    "BUNDLED_VERSION",
    "ModelKind",
    "make_training_data",
    "train_bundled_model",
]

BUNDLED_N_FEATURES = 10
BUNDLED_VERSION = "1"
BUNDLED_KINDS: tuple[str, ...] = get_args(ModelKind)


def make_training_data(n_rows: int = 2_000, *, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic binary-classification data (same seed, same rows on every machine)."""
    x, y = make_classification(
        n_samples=n_rows,
        n_features=BUNDLED_N_FEATURES,
        n_informative=6,
        n_redundant=2,
        random_state=seed,
    )
    return x, y


def train_bundled_model(kind: str = "logreg", *, seed: int = 42) -> ClassifierMixin:
    """Train a bundled model: ``logreg`` (~10 ms) or ``forest`` (100 trees, ~0.3 s).

    Both are deterministic (fixed seeds), so every worker and replica serves the same model.
    The forest uses one thread (``n_jobs=1``): the server's workers are the parallelism.
    """
    x, y = make_training_data(seed=seed)
    if kind == "logreg":
        return LogisticRegression(max_iter=500).fit(x, y)
    if kind == "forest":
        return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1).fit(x, y)
    raise ValueError(
        f"unknown bundled model kind {kind!r}: use one of {', '.join(BUNDLED_KINDS)} "
        "(STAGE5_BUNDLED_MODEL)"
    )
