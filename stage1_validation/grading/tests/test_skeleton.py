"""The unfinished exercise skeleton grades as a clean scorecard: every criterion failed, with
evidence, and never by a grader error."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.fidelity import CaseKind, FidelityCase, judge_case
from stage1_grading import CRITERIA

EXERCISE = Path(__file__).resolve().parents[2] / "exercise"


@pytest.mark.slow
def test_unfinished_skeleton_fails_every_criterion_cleanly(tmp_path: Path) -> None:
    skeleton = FidelityCase(
        stage="stage1",
        name="skeleton",
        folder=EXERCISE,
        description="the exercise skeleton as make start-stage1 copies it",
        kind=CaseKind.FLAWED,
        fails=tuple(CRITERIA),
        options={"rows": "500"},
    )
    outcome = judge_case(skeleton, tmp_path)
    assert outcome.right, outcome.explain()
    assert all("Traceback" not in text for text in outcome.evidence.values())
