"""The grader package is what gradekit finds for stage4."""

from gradekit.stages import STAGES, find_grader


def test_gradekit_finds_this_grader() -> None:
    assert find_grader(STAGES["stage4"]).__name__ == "stage4_grading"
