"""Generator and MovieLens loaders."""

from __future__ import annotations

import pandas as pd
import pytest

from stage3_mlops.data import (
    DriftSpec,
    GeneratorConfig,
    generate_interactions,
    load_movielens,
    validate_interactions,
)
from stage3_mlops.errors import DataError


def test_generator_is_reproducible_for_a_seed() -> None:
    config = GeneratorConfig(n_users=50, n_items=40, n_days=7, seed=3)
    pd.testing.assert_frame_equal(generate_interactions(config), generate_interactions(config))


def test_generator_output_has_the_interaction_schema(interactions: pd.DataFrame) -> None:
    assert list(interactions.columns) == ["user_id", "item_id", "timestamp"]
    assert str(interactions["timestamp"].dtype) == "datetime64[s]"
    assert interactions["timestamp"].is_monotonic_increasing
    assert not interactions.duplicated(["user_id", "item_id"]).any()  # implicit: once per pair


def test_generator_has_popularity_skew(interactions: pd.DataFrame) -> None:
    counts = interactions["item_id"].value_counts()
    top_decile = counts.head(len(counts) // 10).sum() / counts.sum()
    assert top_decile > 0.2  # 10% of items take well over 10% of the traffic


def test_new_items_appear_only_after_drift_starts() -> None:
    drift = DriftSpec(start_day=5, new_items=10)
    frame = generate_interactions(
        GeneratorConfig(n_users=80, n_items=50, n_days=10, seed=2, drift=drift)
    )
    day = (frame["timestamp"] - pd.Timestamp("2026-01-05")).dt.days
    new = frame["item_id"] >= 50
    assert new.any()
    assert day[new].min() >= 5


def test_load_movielens_u_data(tmp_path) -> None:
    path = tmp_path / "u.data"
    path.write_text("1\t10\t5\t881250949\n1\t11\t2\t881250950\n2\t10\t4\t881250951\n")
    frame = load_movielens(path, min_rating=4)
    assert frame[["user_id", "item_id"]].values.tolist() == [[1, 10], [2, 10]]
    assert frame["timestamp"].iloc[0] == pd.Timestamp(881250949, unit="s")


def test_load_movielens_ratings_csv(tmp_path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\n1,10,4.5,964982703\n2,20,3.0,964982704\n")
    frame = load_movielens(tmp_path)
    assert frame["rating"].tolist() == [4.5, 3.0]


def test_load_movielens_missing_file_says_nothing_is_downloaded(tmp_path) -> None:
    with pytest.raises(DataError, match="download it yourself"):
        load_movielens(tmp_path / "nope" / "u.data")


def test_validate_interactions_names_missing_columns() -> None:
    with pytest.raises(DataError, match=r"lacks columns \['timestamp'\]"):
        validate_interactions(pd.DataFrame({"user_id": [1], "item_id": [2]}), name="X_train")


def test_drift_leaves_the_history_before_start_day_unchanged() -> None:
    base = GeneratorConfig(n_users=60, n_items=40, n_days=10, seed=9)
    drifted = base.model_copy(
        update={"drift": DriftSpec(start_day=6, taste_shift=0.5, new_items=5)}
    )
    a, b = generate_interactions(base), generate_interactions(drifted)
    cutoff = pd.Timestamp("2026-01-05") + pd.Timedelta(days=6)
    pd.testing.assert_frame_equal(a[a["timestamp"] < cutoff], b[b["timestamp"] < cutoff])
    assert not a[a["timestamp"] >= cutoff].equals(b[b["timestamp"] >= cutoff])
