"""The bundled scikit-learn model: trained from generated data so the service runs standalone."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

__all__ = ["BUNDLED_N_FEATURES", "BUNDLED_VERSION", "make_training_data", "train_bundled_model"]

BUNDLED_N_FEATURES = 10
BUNDLED_VERSION = "1"


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


def train_bundled_model(*, seed: int = 42) -> LogisticRegression:
    """Train the logistic regression the issue's figures were measured with (~10 ms)."""
    x, y = make_training_data(seed=seed)
    return LogisticRegression(max_iter=500).fit(x, y)
