"""How the grader reads recommendations and finds the Dockerfile (no server, no engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gradekit.stages import STAGES, GradeContext
from stage3_grading import CRITERIA, DEFAULT_IMPL, MODULE_HINT
from stage3_grading.layout import REPO, docker_layout
from stage3_grading.recommendations import UnreadableOutput, distinct_lists, ranked_lists

USERS = [7, 3]


def test_the_four_roadmap_criteria() -> None:
    assert list(CRITERIA) == ["mlflow_ui", "rollback", "drift", "docker"]
    assert DEFAULT_IMPL == "stage3_mlops" and MODULE_HINT == "mlops"


def test_long_table_is_ordered_by_rank_per_user() -> None:
    frame = pd.DataFrame(
        {"user_id": [3, 7, 3, 7], "rank": [2, 1, 1, 2], "item_id": [30, 70, 31, 71]}
    )
    assert ranked_lists(frame, USERS) == [[70, 71], [31, 30]]


def test_served_records_and_score_order_read_the_same() -> None:
    records = [
        {"user_id": 7, "item_id": 1, "score": 0.1},
        {"user_id": 7, "item_id": 2, "score": 0.9},
        {"user_id": 3, "item_id": 5, "score": 0.5},
    ]
    assert ranked_lists(records, USERS) == [[2, 1], [5]]


def test_one_list_per_user_in_a_column_or_plain() -> None:
    frame = pd.DataFrame({"user_id": [3, 7], "items": [[5, 6], [1, 2]]})
    assert ranked_lists(frame, USERS) == [[1, 2], [5, 6]]
    assert ranked_lists(np.array([[1, 2], [5, 6]]), USERS) == [[1, 2], [5, 6]]


def test_an_unreadable_answer_names_the_expected_shapes() -> None:
    with pytest.raises(UnreadableOutput, match="user_id and item_id"):
        ranked_lists(pd.DataFrame({"user": [7, 3], "top": [1, 2]}), USERS)
    with pytest.raises(UnreadableOutput, match="one row per"):
        ranked_lists("nope", USERS)


def test_identical_lists_count_as_one() -> None:
    assert distinct_lists([[1, 2], [1, 2], [1, 2]]) == 1
    assert distinct_lists([[1, 2], [2, 1]]) == 2


def _ctx(tmp_path: Path, impl: str) -> GradeContext:
    return GradeContext(STAGES["stage3"], impl, DEFAULT_IMPL, MODULE_HINT, tmp_path)


def test_reference_builds_the_repos_model_server(tmp_path: Path) -> None:
    layout = docker_layout(_ctx(tmp_path, ""))
    assert layout.is_reference and layout.dockerfile == REPO / "deploy/model-server/Dockerfile"


@pytest.mark.parametrize("place", ["Dockerfile", "model-server/Dockerfile"])
def test_learners_dockerfile_is_found_in_their_folder(tmp_path: Path, place: str) -> None:
    (tmp_path / "mlops.py").write_text("class RecommendationMLOps: ...\n")
    (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / place).write_text("FROM scratch\n")
    layout = docker_layout(_ctx(tmp_path / "work", str(tmp_path)))
    assert layout.context == tmp_path and layout.shown() == place


def test_a_folder_without_dockerfile_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "mlops.py").write_text("class RecommendationMLOps: ...\n")
    layout = docker_layout(_ctx(tmp_path / "work", str(tmp_path)))
    assert layout.dockerfile is None and "model-server/Dockerfile" in layout.problem
