"""Grading options and the per-problem score summary."""

from __future__ import annotations

import pytest

from diagnostics.config import GradingConfig
from diagnostics.errors import DiagnosticsError
from diagnostics.report import points_by_problem, render_notes
from diagnostics.rubric import load_rubric
from gradekit import CriterionResult, Scorecard


def test_options_are_parsed_from_strings() -> None:
    config = GradingConfig.from_options({"problems": "1, 3", "large_file_mb": "64"})
    assert config.problems == (1, 3)
    assert config.large_file_mb == 64
    assert config.timeout_for(3) == config.timeout_p3_s


def test_a_bad_option_names_the_known_ones() -> None:
    with pytest.raises(DiagnosticsError, match="large_file_mb"):
        GradingConfig.from_options({"large_file_mb": "-5"})


def _result(requirement_id: str, passed: bool) -> CriterionResult:
    req = load_rubric().get(requirement_id)
    return CriterionResult(
        id=req.id,
        title=req.title,
        title_ko=req.title_ko,
        method=req.method,
        measured=passed,
        unit="",
        threshold=True,
        threshold_text="yes",
        passed=passed,
        evidence="seen → feedback",
        duration_s=0.0,
        weight=req.points,
    )


def test_points_by_problem_sums_weights_of_passed_requirements() -> None:
    card = Scorecard(
        stage="diagnostics",
        title="t",
        implementation="x",
        criteria=[
            _result("p1.empty_values", True),
            _result("p1.type_errors", False),
            _result("p3.schema", True),
        ],
    )
    assert points_by_problem(card, load_rubric()) == {1: (5, 10), 3: (6, 6)}
    notes = render_notes(card, load_rubric())
    assert "`p1.type_errors`" in notes and "(−5)" in notes
    assert "Score: **11/16**" in notes
