"""The grader package is what gradekit finds for stage1."""

from gradekit.stages import STAGES, find_grader


def test_gradekit_finds_this_grader() -> None:
    assert find_grader(STAGES["stage1"]).__name__ == "stage1_grading"
