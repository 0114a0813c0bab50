"""Sparse matrix and leakage-free splits."""

from __future__ import annotations

import pandas as pd
import pytest

from stage3_mlops.errors import DataError
from stage3_mlops.preprocess import (
    build_matrix,
    random_holdout_per_user,
    random_split_per_user,
    time_split,
)


def test_time_split_keeps_the_future_out_of_training(interactions: pd.DataFrame) -> None:
    train, valid = time_split(interactions, 7)
    assert train["timestamp"].max() < valid["timestamp"].min()
    assert len(train) + len(valid) == len(interactions)


def test_time_split_rejects_a_window_longer_than_the_data(interactions: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="empty side"):
        time_split(interactions, 400)


def test_random_split_per_user_holds_out_about_a_fifth(interactions: pd.DataFrame) -> None:
    train, test = random_split_per_user(interactions, 0.2, seed=0)
    assert abs(len(test) / len(interactions) - 0.2) < 0.03
    assert set(test["user_id"]) <= set(train["user_id"])  # every test user has history


def test_build_matrix_is_binary_and_indexed(interactions: pd.DataFrame) -> None:
    data = build_matrix(interactions)
    assert data.shape == (interactions["user_id"].nunique(), interactions["item_id"].nunique())
    assert set(data.matrix.data.tolist()) == {1.0}
    assert data.matrix.nnz == len(interactions)


def test_build_matrix_checks_weight_length(interactions: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="weights"):
        build_matrix(interactions, pd.Series([1.0, 2.0]))


def test_random_holdout_per_user_keeps_a_test_item_for_every_user() -> None:
    sizes = {1: 1, 2: 2, 3: 4, 4: 5, 5: 15, 6: 23}
    frame = pd.DataFrame(
        {
            "user_id": [u for u, n in sizes.items() for _ in range(n)],
            "item_id": [i for n in sizes.values() for i in range(n)],
        }
    )
    train, test = random_holdout_per_user(frame, 0.2, seed=3)
    per_user = test.groupby("user_id").size().to_dict()
    assert per_user == {1: 1, 2: 1, 3: 1, 4: 1, 5: 3, 6: 5}  # ceil(0.2 n), 15 → 3 not 4
    assert len(train) + len(test) == len(frame)
    assert not pd.merge(train, test, on=["user_id", "item_id"]).shape[0]
    again = random_holdout_per_user(frame, 0.2, seed=3)[1]
    pd.testing.assert_frame_equal(test, again)
    assert not test.equals(random_holdout_per_user(frame, 0.2, seed=4)[1])
