"""Recommenders: ranking contract, cold start, persistence and quality ordering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stage3_mlops.errors import ModelError
from stage3_mlops.metrics import evaluate_recommender
from stage3_mlops.models import MODEL_NAMES, create_recommender, load_recommender
from stage3_mlops.preprocess import build_matrix, time_split


@pytest.fixture(scope="module")
def split(interactions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return time_split(interactions, 7)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_recommend_returns_k_unseen_items(name: str, split) -> None:
    train, _ = split
    model = create_recommender(name).fit(build_matrix(train))
    users = train["user_id"].unique()[:20]
    recs = model.recommend(users, 10)
    assert recs.shape == (20, 10)
    for user, row in zip(users, recs, strict=True):
        seen = set(train.loc[train["user_id"] == user, "item_id"])
        assert not seen & set(row.tolist())
        assert len(set(row.tolist())) == 10


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_save_and_load_give_the_same_ranking(name: str, split, tmp_path) -> None:
    train, _ = split
    model = create_recommender(name).fit(build_matrix(train))
    loaded = load_recommender(model.save(tmp_path / "m.npz"))
    users = train["user_id"].unique()[:15]
    np.testing.assert_array_equal(model.recommend(users, 5), loaded.recommend(users, 5))
    assert loaded.params == model.params


def test_unknown_users_get_the_popularity_ranking(split) -> None:
    train, _ = split
    model = create_recommender("ease").fit(build_matrix(train))
    counts = train["item_id"].value_counts()
    recommended = model.recommend([10**9], 3)[0]
    # ties may break either way, so compare popularity counts, not ids
    assert counts[recommended].tolist() == counts.iloc[:3].tolist()


def test_exclude_removes_extra_items(split) -> None:
    train, _ = split
    model = create_recommender("item_knn").fit(build_matrix(train))
    user = int(train["user_id"].iloc[0])
    first = model.recommend([user], 3)[0].tolist()
    again = model.recommend([user], 3, exclude={user: set(first)})[0].tolist()
    assert not set(first) & set(again)


def test_learned_models_beat_popularity(split) -> None:
    train, valid = split
    matrix = build_matrix(train)
    ndcg = {
        name: evaluate_recommender(create_recommender(name).fit(matrix), train, valid)[10].ndcg
        for name in MODEL_NAMES
    }
    assert min(ndcg["ease"], ndcg["item_knn"], ndcg["svd"]) > ndcg["popularity"]


def test_bad_model_name_and_params_are_named() -> None:
    with pytest.raises(ModelError, match="unknown model 'als'"):
        create_recommender("als")
    with pytest.raises(ModelError, match=r"unknown hyperparameters \['lambda'\]"):
        create_recommender("ease", **{"lambda": 1.0})
