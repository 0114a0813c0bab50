"""Generator and MovieLens loaders."""

from __future__ import annotations

import pandas as pd
import pytest

from stage3_mlops.data import (
    DriftSpec,
    GeneratorConfig,
    generate_interactions,
    load_movielens,
    load_movielens_items,
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


_U_ITEM = (
    "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
    "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "2|Misérables, Les (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Mis%E9rables"
    "|0|0|0|0|0|0|0|0|1|0|0|0|1|0|0|0|0|0|0\n"
    "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
)


def test_load_movielens_items_reads_latin1_titles_and_genres(tmp_path) -> None:
    path = tmp_path / "u.item"
    path.write_bytes(_U_ITEM.encode("latin-1"))  # the real file's encoding, é as one byte
    items = load_movielens_items(tmp_path)
    assert items["item_id"].tolist() == [1, 2, 267]
    assert items["title"].tolist()[1] == "Misérables, Les (1995)"
    assert items["genres"].tolist() == ["Animation|Children's|Comedy", "Drama|Musical", "unknown"]


def test_load_movielens_items_reads_movies_csv(tmp_path) -> None:
    (tmp_path / "movies.csv").write_text(
        'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n2,"Heat, The",Action\n'
    )
    items = load_movielens_items(tmp_path / "movies.csv")
    assert items.to_dict("list") == {
        "item_id": [1, 2],
        "title": ["Toy Story (1995)", "Heat, The"],
        "genres": ["Adventure|Animation", "Action"],
    }


def test_ratings_loader_given_u_item_points_to_the_titles_loader(tmp_path) -> None:
    path = tmp_path / "u.item"
    path.write_bytes(_U_ITEM.encode("latin-1"))
    with pytest.raises(DataError, match=r"u.item holds titles: read it with load_movielens_items"):
        load_movielens(path)


@pytest.mark.parametrize("name", ["u.user", "u.genre", "notes.txt"])
def test_other_movielens_files_get_a_clear_error(tmp_path, name: str) -> None:
    path = tmp_path / name
    path.write_text("1|24|M|technician|85711\n")
    with pytest.raises(
        DataError, match=rf"{name}: expected u.data or ratings.dat or ratings.csv for ratings"
    ):
        load_movielens(path)


def test_u_data_in_another_layout_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "u.data"
    path.write_text("1|24|M|technician|85711\n")
    with pytest.raises(DataError, match="not in the MovieLens ratings layout"):
        load_movielens(path)


def test_load_movielens_ml1m_dat_files(tmp_path) -> None:
    """ML-1M/10M: ``::``-separated ratings, Latin-1 titles that hold colons."""
    (tmp_path / "ratings.dat").write_text("1::1193::5::978300760\n1::661::3::978302109\n")
    (tmp_path / "movies.dat").write_bytes(
        "1::Toy Story (1995)::Animation|Children's|Comedy\n"
        "2::Star Wars: Episode IV - A New Hope (1977)::Action\n"
        "3::Misérables, Les (1995)::Drama\n".encode("latin-1")
    )
    frame = load_movielens(tmp_path, min_rating=4)
    assert frame[["user_id", "item_id", "rating"]].values.tolist() == [[1, 1193, 5.0]]
    assert frame["timestamp"].iloc[0] == pd.Timestamp(978300760, unit="s")
    items = load_movielens_items(tmp_path)
    assert items["item_id"].tolist() == [1, 2, 3]
    assert items["title"].tolist()[1:] == [
        "Star Wars: Episode IV - A New Hope (1977)",
        "Misérables, Les (1995)",
    ]
