"""The grader package is what gradekit finds for stage3."""

from gradekit.stages import STAGES, find_grader


def test_gradekit_finds_this_grader() -> None:
    assert find_grader(STAGES["stage3"]).__name__ == "stage3_grading"
