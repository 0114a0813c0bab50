"""The grader package is what gradekit finds for stage2."""

from gradekit.stages import STAGES, find_grader


def test_gradekit_finds_this_grader() -> None:
    assert find_grader(STAGES["stage2"]).__name__ == "stage2_grading"
