"""Drift statistics: zero-ish on identical windows, large on shifted ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stage3_mlops.data import DriftSpec, GeneratorConfig, generate_interactions
from stage3_mlops.drift import (
    item_popularity_js_excess,
    new_item_share,
    population_stability_index,
    profile_window,
    user_activity_psi,
)


def _weeks(drift: DriftSpec | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = generate_interactions(
        GeneratorConfig(n_users=300, n_items=150, n_days=14, seed=5, drift=drift)
    )
    day = (frame["timestamp"] - frame["timestamp"].min()).dt.days
    return frame[day < 7], frame[day >= 7]


def test_psi_is_zero_for_identical_histograms() -> None:
    assert population_stability_index(np.array([5, 3, 2]), np.array([10, 6, 4])) < 1e-9


def test_stable_weeks_stay_under_the_thresholds() -> None:
    ref, cur = _weeks(None)
    a, b = profile_window(ref), profile_window(cur)
    assert item_popularity_js_excess(a, b) < 0.1
    assert user_activity_psi(a, b) < 0.25


def test_new_items_move_item_popularity() -> None:
    ref, cur = _weeks(DriftSpec(start_day=7, new_items=15, popularity_shock=3.0))
    assert item_popularity_js_excess(profile_window(ref), profile_window(cur)) > 0.1
    assert new_item_share(cur, ref["item_id"].unique()) > 0.15
