"""The grader: ours passes every criterion, a learner-style file is graded on its own terms, and
the unfinished exercise gets a clean failing scorecard.

Grading runs in-process through the same kit functions ``python -m gradekit check`` uses
(GradeContext -> build_checks -> run_checks -> Scorecard.write), which keeps the suite fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gradekit.runner import run_checks
from gradekit.scorecard import Scorecard
from gradekit.stages import STAGES, GradeContext
from stage1_validation import grading

TESTS = Path(__file__).resolve().parent
EXERCISE = TESTS.parent / "exercise"


def grade(impl: str, work: Path, rows: int) -> Scorecard:
    ctx = GradeContext(
        stage=STAGES["stage1"],
        impl_spec=impl,
        default_impl=grading.DEFAULT_IMPL,
        module_hint=grading.MODULE_HINT,
        work_dir=work,
        options={"rows": str(rows)},
    )
    ctx.load()
    card = run_checks("stage1", grading.TITLE, ctx.implementation_name, grading.build_checks(ctx))
    card.write(work)
    return card


@pytest.mark.slow
def test_our_implementation_passes_every_criterion(tmp_path: Path) -> None:
    card = grade("", tmp_path, rows=3000)
    failures = {c.id: (c.evidence, c.error) for c in card.criteria if not c.passed}
    assert failures == {}
    assert len(card.criteria) == 6


@pytest.mark.slow
def test_unfinished_skeleton_fails_cleanly(tmp_path: Path) -> None:
    workspace = tmp_path / "stage1"
    shutil.copytree(EXERCISE, workspace)
    card = grade(str(workspace), tmp_path / "reports", rows=1000)
    written = json.loads((tmp_path / "reports" / "stage1.json").read_text(encoding="utf-8"))
    assert written["implemented"] is True and written["passed"] is False
    assert len(card.criteria) == 6
    assert not any(c.passed for c in card.criteria)
    # every criterion failed with evidence or a one-line error, never a traceback
    assert all(
        (c.evidence or c.error) and "Traceback" not in (c.error or "") for c in card.criteria
    )


@pytest.mark.slow
def test_a_learner_style_single_file_solution_is_graded_on_its_own_terms(tmp_path: Path) -> None:
    card = grade(str(TESTS / "fixtures" / "learner"), tmp_path, rows=2000)
    failures = {c.id: c.evidence or c.error for c in card.criteria if not c.passed}
    assert failures == {}
    evidence = {c.id: c.evidence for c in card.criteria}
    assert "parsed log/stdout text" in evidence["performance_monitor"]  # it has no record API
    assert "register_rule(GraderOddRule)" in evidence["inheritance"]
