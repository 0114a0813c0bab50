"""A/B testing (A/B 테스트): hash-based assignment, exposure/outcome logs and the statistics.

Fixed-horizon tests (two-proportion z-test, Welch's t-test) are valid only when looked at once,
at the planned sample size. ``msprt_test`` (mixture sequential probability ratio test) may be
checked after every batch without inflating false positives. ``sample_ratio_mismatch`` is the
guardrail that catches broken assignment before any effect is believed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from scipy import stats

from stage3_mlops.errors import DataError

__all__ = [
    "ABTest",
    "SRMResult",
    "SequentialResult",
    "TestResult",
    "assign_variant",
    "msprt_test",
    "power_two_proportions",
    "sample_ratio_mismatch",
    "sample_size_means",
    "sample_size_two_proportions",
    "two_proportion_ztest",
    "welch_ttest",
]


class TestResult(BaseModel):
    """A fixed-horizon test: effect (treatment − control), its CI, and the verdict at ``alpha``."""

    __test__ = False  # not a pytest test class despite the name

    method: str
    effect: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    alpha: float
    significant: bool


class SequentialResult(BaseModel):
    """An mSPRT look: the likelihood ratio, the always-valid p-value and whether to stop."""

    effect: float
    likelihood_ratio: float
    p_value: float
    alpha: float
    reject: bool


class SRMResult(BaseModel):
    """Sample-ratio-mismatch check: chi-square of observed vs expected arm sizes."""

    observed: dict[str, int]
    expected_share: dict[str, float]
    chi2: float
    p_value: float
    mismatch: bool


def assign_variant(user_id: int | str, experiment: str, splits: Mapping[str, float]) -> str:
    """Deterministic arm of a user: SHA-256 of ``experiment:user_id`` mapped onto the splits.

    The same user always gets the same arm in one experiment, and independent arms in another
    (the experiment name salts the hash).
    """
    total = sum(splits.values())
    if not splits or total <= 0 or any(v < 0 for v in splits.values()):
        raise DataError(
            f"splits must be non-negative shares with a positive sum, got {dict(splits)}"
        )
    digest = hashlib.sha256(f"{experiment}:{user_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * total
    cumulative = 0.0
    for name, share in splits.items():
        cumulative += share
        if point < cumulative:
            return name
    return list(splits)[-1]


def two_proportion_ztest(
    successes_a: int, n_a: int, successes_b: int, n_b: int, *, alpha: float = 0.05
) -> TestResult:
    """Two-sided z-test of p_b − p_a (pooled SE for the test, unpooled SE for the CI)."""
    if min(n_a, n_b) <= 0:
        raise DataError(f"both arms need users: n_a={n_a}, n_b={n_b}")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_null = math.sqrt(max(pooled * (1 - pooled) * (1 / n_a + 1 / n_b), 1e-300))
    se = math.sqrt(max(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b, 1e-300))
    z = (p_b - p_a) / se_null
    p_value = float(2 * stats.norm.sf(abs(z)))
    half = float(stats.norm.ppf(1 - alpha / 2)) * se
    return TestResult(
        method="two-proportion z-test",
        effect=p_b - p_a,
        ci_low=p_b - p_a - half,
        ci_high=p_b - p_a + half,
        statistic=z,
        p_value=p_value,
        alpha=alpha,
        significant=p_value < alpha,
    )


def welch_ttest(
    control: Sequence[float] | np.ndarray,
    treatment: Sequence[float] | np.ndarray,
    *,
    alpha: float = 0.05,
) -> TestResult:
    """Welch's t-test of mean(treatment) − mean(control), with a Welch–Satterthwaite CI."""
    a = np.asarray(control, dtype=float)
    b = np.asarray(treatment, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise DataError(f"each arm needs at least 2 observations, got {len(a)} and {len(b)}")
    var_a, var_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(max(var_a + var_b, 1e-300))
    dof = (var_a + var_b) ** 2 / max(var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1), 1e-300)
    effect = float(b.mean() - a.mean())
    t = effect / se
    p_value = float(2 * stats.t.sf(abs(t), dof))
    half = float(stats.t.ppf(1 - alpha / 2, dof)) * se
    return TestResult(
        method="Welch t-test",
        effect=effect,
        ci_low=effect - half,
        ci_high=effect + half,
        statistic=t,
        p_value=p_value,
        alpha=alpha,
        significant=p_value < alpha,
    )


def msprt_test(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    *,
    alpha: float = 0.05,
    tau: float = 0.05,
) -> SequentialResult:
    """Normal-mixture mSPRT (Johari et al., 2017) on the difference of two proportions.

    Λ = sqrt(V / (V + τ²)) · exp(θ̂² τ² / (2V (V + τ²))), with V the variance of θ̂ under H0 and
    τ the scale of effects you expect. Stopping the first time Λ ≥ 1/α keeps the false-positive
    rate at most α however often you look; ``p_value`` = min(1, 1/Λ) at this look (keep the
    running minimum across looks, as :class:`ABTest` does).
    """
    if min(n_a, n_b) <= 0:
        raise DataError(f"both arms need users: n_a={n_a}, n_b={n_b}")
    pooled = (successes_a + successes_b) / (n_a + n_b)
    var = max(pooled * (1 - pooled) * (1 / n_a + 1 / n_b), 1e-12)
    effect = successes_b / n_b - successes_a / n_a
    tau2 = tau**2
    log_lr = 0.5 * math.log(var / (var + tau2)) + effect**2 * tau2 / (2 * var * (var + tau2))
    ratio = math.exp(min(log_lr, 700.0))
    return SequentialResult(
        effect=effect,
        likelihood_ratio=ratio,
        p_value=min(1.0, 1.0 / ratio),
        alpha=alpha,
        reject=ratio >= 1 / alpha,
    )


def sample_size_two_proportions(
    baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Users per arm to detect an absolute lift ``mde`` over ``baseline`` (two-sided test)."""
    p1, p2 = baseline, baseline + mde
    if not (0 < p1 < 1 and 0 < p2 < 1) or mde == 0:
        raise DataError(f"need 0 < baseline, baseline+mde < 1 and mde ≠ 0 (got {baseline}, {mde})")
    z_a = stats.norm.ppf(1 - alpha / 2)
    z_b = stats.norm.ppf(power)
    p_bar = (p1 + p2) / 2
    numerator = z_a * math.sqrt(2 * p_bar * (1 - p_bar)) + z_b * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(float(numerator**2 / mde**2))


def power_two_proportions(p_a: float, p_b: float, n_per_arm: int, *, alpha: float = 0.05) -> float:
    """Probability that the two-sided z-test detects p_a vs p_b with ``n_per_arm`` users each."""
    z_a = stats.norm.ppf(1 - alpha / 2)
    p_bar = (p_a + p_b) / 2
    se_null = math.sqrt(2 * p_bar * (1 - p_bar) / n_per_arm)
    se_alt = math.sqrt((p_a * (1 - p_a) + p_b * (1 - p_b)) / n_per_arm)
    delta = abs(p_b - p_a)
    return float(stats.norm.cdf((delta - z_a * se_null) / se_alt))


def sample_size_means(sd: float, delta: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Users per arm to detect a difference ``delta`` of means with per-user std ``sd``."""
    if sd <= 0 or delta == 0:
        raise DataError(f"need sd > 0 and delta ≠ 0 (got sd={sd}, delta={delta})")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return math.ceil(float(2 * (z * sd / delta) ** 2))


def sample_ratio_mismatch(
    observed: Mapping[str, int], expected_share: Mapping[str, float], *, threshold: float = 0.001
) -> SRMResult:
    """Chi-square test of arm sizes against the configured split; p < threshold means broken.

    A tiny threshold (0.001) is usual: SRM is a bug detector, and it is checked often.
    """
    names = list(expected_share)
    counts = np.array([observed.get(n, 0) for n in names], dtype=float)
    shares = np.array([expected_share[n] for n in names], dtype=float)
    shares = shares / shares.sum()
    if counts.sum() == 0:
        raise DataError("no exposures yet: nothing to check for sample-ratio mismatch")
    chi2, p_value = stats.chisquare(counts, counts.sum() * shares)
    return SRMResult(
        observed={n: int(c) for n, c in zip(names, counts, strict=True)},
        expected_share={n: float(s) for n, s in zip(names, shares, strict=True)},
        chi2=float(chi2),
        p_value=float(p_value),
        mismatch=bool(p_value < threshold),
    )


@dataclass
class ABTest:
    """One experiment: assigns users, logs exposures and outcomes, and tests the arms.

    **Usage**::

        test = ABTest("ease-vs-pop", {"control": 0.5, "treatment": 0.5})
        arm = test.log_exposure(user_id=42)      # show the arm's recommendations
        test.log_outcome(user_id=42, value=1.0)  # e.g. clicked a recommended item
        test.conversion_test()                   # z-test of the click-through rates
    """

    name: str
    splits: dict[str, float]
    control: str = "control"
    treatment: str = "treatment"
    exposures: dict[int | str, str] = field(default_factory=dict)
    outcomes: dict[int | str, float] = field(default_factory=dict)
    _min_sequential_p: float = 1.0

    def __post_init__(self) -> None:
        missing = {self.control, self.treatment} - set(self.splits)
        if missing:
            raise DataError(f"splits {self.splits} lack arm(s) {sorted(missing)}")

    def log_exposure(self, user_id: int | str) -> str:
        """Record that the user saw their arm (idempotent) and return the arm."""
        arm = self.exposures.get(user_id) or assign_variant(user_id, self.name, self.splits)
        self.exposures[user_id] = arm
        return arm

    def log_outcome(self, user_id: int | str, value: float = 1.0) -> None:
        """Add an outcome (a click, a purchase amount) for an exposed user."""
        if user_id not in self.exposures:
            raise DataError(
                f"user {user_id!r} has no exposure in {self.name!r}; log_exposure first"
            )
        self.outcomes[user_id] = self.outcomes.get(user_id, 0.0) + value

    def _values(self, arm: str) -> np.ndarray:
        return np.array([self.outcomes.get(u, 0.0) for u, a in self.exposures.items() if a == arm])

    def conversion_test(self, *, alpha: float = 0.05) -> TestResult:
        """z-test of the share of exposed users with a positive outcome, treatment vs control."""
        a, b = self._values(self.control), self._values(self.treatment)
        return two_proportion_ztest(
            int((a > 0).sum()), len(a), int((b > 0).sum()), len(b), alpha=alpha
        )

    def mean_test(self, *, alpha: float = 0.05) -> TestResult:
        """Welch's t-test of the mean outcome per exposed user."""
        return welch_ttest(self._values(self.control), self._values(self.treatment), alpha=alpha)

    def sequential_test(self, *, alpha: float = 0.05, tau: float = 0.05) -> SequentialResult:
        """mSPRT look at the conversion rates; the p-value is the running minimum over looks."""
        a, b = self._values(self.control), self._values(self.treatment)
        look = msprt_test(
            int((a > 0).sum()), len(a), int((b > 0).sum()), len(b), alpha=alpha, tau=tau
        )
        self._min_sequential_p = min(self._min_sequential_p, look.p_value)
        return look.model_copy(
            update={"p_value": self._min_sequential_p, "reject": self._min_sequential_p <= alpha}
        )

    def srm_check(self, *, threshold: float = 0.001) -> SRMResult:
        """Sample-ratio-mismatch guardrail over the logged exposures."""
        counts: dict[str, int] = {}
        for arm in self.exposures.values():
            counts[arm] = counts.get(arm, 0) + 1
        return sample_ratio_mismatch(counts, self.splits, threshold=threshold)

    def save(self, path: str | Path) -> Path:
        """Write exposures and outcomes as JSON, atomically (temp file + rename)."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        rows = [
            {"user_id": u, "arm": a, "outcome": self.outcomes.get(u, 0.0)}
            for u, a in self.exposures.items()
        ]
        tmp.write_text(json.dumps({"name": self.name, "splits": self.splits, "events": rows}))
        tmp.replace(target)
        return target
