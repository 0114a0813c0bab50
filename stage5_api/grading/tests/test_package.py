"""The grader package is what gradekit finds for stage5."""

from gradekit.stages import STAGES, find_grader


def test_gradekit_finds_this_grader() -> None:
    assert find_grader(STAGES["stage5"]).__name__ == "stage5_grading"
