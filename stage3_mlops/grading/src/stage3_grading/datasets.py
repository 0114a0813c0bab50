"""The interactions the grader trains and monitors on: generated, seeded, the same every run."""

from __future__ import annotations

import pandas as pd

from stage3_mlops.data import DriftSpec, GeneratorConfig, generate_interactions

__all__ = ["DRIFT_START_DAY", "interactions", "sample_users", "weekly_windows"]

DRIFT_START_DAY = 56
_DRIFT = DriftSpec(start_day=DRIFT_START_DAY, taste_shift=0.5, new_items=20)


def interactions(seed: int, *, days: int = 35, drifted: bool = False) -> pd.DataFrame:
    """300 users × 150 items; ``drifted`` shifts tastes and launches items from day 56."""
    config = GeneratorConfig(
        n_users=300, n_items=150, n_days=days, seed=seed, drift=_DRIFT if drifted else None
    )
    return generate_interactions(config)


def sample_users(frame: pd.DataFrame, n: int = 8) -> list[int]:
    """``n`` known users of different activity (most active first, then spread over the rest)."""
    counts = frame["user_id"].value_counts()
    step = max(1, len(counts) // n)
    return [int(u) for u in counts.index[::step][:n]]


def weekly_windows(frame: pd.DataFrame, start_day: int, weeks: int) -> list[pd.DataFrame]:
    """Consecutive 7-day slices of ``frame`` from ``start_day`` (day 0 = its first timestamp)."""
    day = (frame["timestamp"] - frame["timestamp"].min()).dt.days
    return [
        frame[(day >= start_day + 7 * w) & (day < start_day + 7 * (w + 1))].reset_index(drop=True)
        for w in range(weeks)
    ]
