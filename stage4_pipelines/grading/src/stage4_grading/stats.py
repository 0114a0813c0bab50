"""How sure a success rate is: exact (Clopper–Pearson) one-sided bounds at 95 %.

3000 days without a failure give a lower bound of 99.90 %: the least that shows >= 99.9 %.
A run too short to show it can still show that a pipeline is clearly *below* 99.9 % (the upper
bound under it), which is how a shortened grading run fails a flawed pipeline and leaves an
honest one undecided.
"""

from __future__ import annotations

__all__ = ["DAYS_TO_CLAIM", "TARGET", "lower_bound", "upper_bound"]

TARGET = 0.999
DAYS_TO_CLAIM = 3000


def lower_bound(successes: int, trials: int, confidence: float = 0.95) -> float:
    """The rate is at least this, with ``confidence`` (0 for no successes)."""
    if trials <= 0 or successes <= 0:
        return 0.0
    from scipy.stats import beta

    return float(beta.ppf(1 - confidence, successes, trials - successes + 1))


def upper_bound(successes: int, trials: int, confidence: float = 0.95) -> float:
    """The rate is at most this, with ``confidence`` (1 when every trial succeeded)."""
    if trials <= 0 or successes >= trials:
        return 1.0
    from scipy.stats import beta

    return float(beta.ppf(confidence, successes + 1, trials - successes))
