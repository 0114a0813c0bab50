"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from stage3_mlops.metrics import ranking_metrics, relevant_items


def test_metrics_on_a_hand_computed_example() -> None:
    recommended = np.array([[1, 2, 3], [4, 5, 6]])
    relevant = [{1, 3}, {9}]
    m = ranking_metrics(recommended, relevant, k=3, catalogue_size=12)
    assert m.precision == pytest.approx((2 / 3 + 0) / 2)
    assert m.recall == pytest.approx((1.0 + 0) / 2)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert m.ndcg == pytest.approx(dcg / idcg / 2)
    assert m.map == pytest.approx((1 + 2 / 3) / 2 / 2)
    assert m.hit_rate == pytest.approx(0.5)
    assert m.coverage == pytest.approx(6 / 12)


def test_perfect_ranking_scores_one() -> None:
    m = ranking_metrics(np.array([[7, 8]]), [{7, 8}], k=2, catalogue_size=10)
    assert (m.precision, m.recall, m.ndcg, m.map, m.hit_rate) == (1, 1, 1, 1, 1)


def test_relevant_items_ignore_what_the_user_already_had() -> None:
    history = pd.DataFrame({"user_id": [1, 1], "item_id": [10, 11]})
    holdout = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [11, 12, 10]})
    assert relevant_items(holdout, history) == {1: {12}, 2: {10}}
