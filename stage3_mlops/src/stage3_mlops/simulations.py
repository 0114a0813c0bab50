"""Monte-Carlo checks of the A/B statistics: A/A false-positive rate, power, and peeking."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel
from scipy import stats

__all__ = ["PeekingResult", "simulate_aa", "simulate_peeking", "simulate_power"]


def _z_pvalues(x_a: np.ndarray, x_b: np.ndarray, n_a: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    pooled = (x_a + x_b) / (n_a + n_b)
    se = np.sqrt(np.maximum(pooled * (1 - pooled) * (1 / n_a + 1 / n_b), 1e-300))
    z = (x_b / n_b - x_a / n_a) / se
    return np.asarray(2 * stats.norm.sf(np.abs(z)))


def simulate_aa(
    n_sims: int, n_per_arm: int, rate: float, *, alpha: float = 0.05, seed: int = 0
) -> float:
    """Share of A/A tests (no real difference) the z-test calls significant: should be ≈ alpha."""
    rng = np.random.default_rng(seed)
    x_a = rng.binomial(n_per_arm, rate, n_sims).astype(float)
    x_b = rng.binomial(n_per_arm, rate, n_sims).astype(float)
    n = np.full(n_sims, float(n_per_arm))
    return float((_z_pvalues(x_a, x_b, n, n) < alpha).mean())


def simulate_power(
    n_sims: int, n_per_arm: int, rate_a: float, rate_b: float, *, alpha: float = 0.05, seed: int = 0
) -> float:
    """Share of simulated A/B tests with a true effect that the z-test detects (the power)."""
    rng = np.random.default_rng(seed)
    x_a = rng.binomial(n_per_arm, rate_a, n_sims).astype(float)
    x_b = rng.binomial(n_per_arm, rate_b, n_sims).astype(float)
    n = np.full(n_sims, float(n_per_arm))
    return float((_z_pvalues(x_a, x_b, n, n) < alpha).mean())


class PeekingResult(BaseModel):
    """False-positive rates of A/A tests looked at after every batch."""

    looks: int
    naive_z_fpr: float
    msprt_fpr: float


def simulate_peeking(
    n_sims: int,
    n_per_arm: int,
    rate: float,
    *,
    looks: int = 20,
    alpha: float = 0.05,
    tau: float = 0.05,
    seed: int = 0,
) -> PeekingResult:
    """A/A tests checked ``looks`` times: stopping at the first z-test 'win' inflates the
    false-positive rate well past alpha; the mSPRT's always-valid p-value does not."""
    rng = np.random.default_rng(seed)
    batch = max(1, n_per_arm // looks)
    x_a = np.zeros(n_sims)
    x_b = np.zeros(n_sims)
    naive = np.zeros(n_sims, dtype=bool)
    seq = np.zeros(n_sims, dtype=bool)
    tau2 = tau**2
    for look in range(1, looks + 1):
        x_a += rng.binomial(batch, rate, n_sims)
        x_b += rng.binomial(batch, rate, n_sims)
        n = np.full(n_sims, float(batch * look))
        naive |= _z_pvalues(x_a, x_b, n, n) < alpha
        pooled = (x_a + x_b) / (2 * n)
        var = np.maximum(pooled * (1 - pooled) * (2 / n), 1e-12)
        effect = x_b / n - x_a / n
        log_lr = 0.5 * np.log(var / (var + tau2)) + effect**2 * tau2 / (2 * var * (var + tau2))
        seq |= log_lr >= np.log(1 / alpha)
    return PeekingResult(looks=looks, naive_z_fpr=float(naive.mean()), msprt_fpr=float(seq.mean()))
