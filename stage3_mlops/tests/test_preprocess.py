"""Sparse matrix and leakage-free splits."""

from __future__ import annotations

import pandas as pd
import pytest

from stage3_mlops.errors import DataError
from stage3_mlops.preprocess import build_matrix, random_split_per_user, time_split


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
