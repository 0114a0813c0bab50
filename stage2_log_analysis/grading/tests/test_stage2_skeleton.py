"""The unfinished skeleton gets a clean failing scorecard: measured failures, no grader error."""

from __future__ import annotations

from pathlib import Path

import pytest

import stage2_grading as grading
from gradekit.result import ErrorSource, Status
from gradekit.runner import run_checks
from gradekit.stages import STAGES, GradeContext

EXERCISE = Path(__file__).resolve().parents[2] / "exercise"


@pytest.mark.slow
def test_the_unfinished_skeleton_fails_every_criterion_in_words(tmp_path: Path) -> None:
    ctx = GradeContext(
        stage=STAGES["stage2"],
        impl_spec=str(EXERCISE),
        default_impl=grading.DEFAULT_IMPL,
        module_hint=grading.MODULE_HINT,
        work_dir=tmp_path,
        options={"size": "2MB", "accuracy_size": "6MB", "shapes": "none", "follow_timeout": "20"},
    )
    card = run_checks("stage2", grading.TITLE, "skeleton", grading.build_checks(ctx))
    assert [c.id for c in card.criteria] == ["memory", "dask_speedup", "streaming", "accuracy"]
    for c in card.criteria:
        assert c.status is Status.FAIL, (c.id, c.evidence)
        assert c.error_source is not ErrorSource.GRADER, (c.id, c.evidence)
        assert "process_logs_stream" in c.evidence or "NotImplementedError" in c.evidence
    assert "returned None" in card.criteria[0].evidence
    assert "follow() is not written yet" in card.criteria[2].evidence
