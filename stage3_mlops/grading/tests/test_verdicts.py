"""Verdicts the grader reaches without a server: drift judged from counts, failures of steps."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import STAGES, GradeContext
from stage3_grading import DEFAULT_IMPL, MODULE_HINT
from stage3_grading.probe_drift import judge
from stage3_grading.steps import StepFailed, step


def _counts(*new: int) -> Measurement:
    return Measurement(value=sum(new), evidence="", details={"new_models": list(new)})


@pytest.mark.parametrize(
    ("stable", "drifted", "passed"),
    [
        ((0, 0, 0, 0), (1, 0, 0, 0), True),
        ((0, 0, 0, 0), (0, 1, 1, 0), True),
        ((0, 0, 0, 0), (0, 0, 1, 0), False),  # too late
        ((0, 0, 0, 0), (0, 0, 0, 0), False),  # never
        ((1, 0, 0, 0), (1, 1, 1, 1), False),  # retrains on stable data
    ],
)
def test_drift_is_judged_on_both_scenarios(
    stable: tuple[int, ...], drifted: tuple[int, ...], passed: bool
) -> None:
    assert judge(_counts(*stable), _counts(*drifted)).passed is passed


def test_a_failed_scenario_is_the_verdict() -> None:
    broken = Measurement.failed("monitor_model_performance(week 1 window): your code raised")
    assert judge(_counts(0, 0, 0, 0), broken) is broken


def test_a_learners_exit_becomes_a_failed_step(tmp_path: Path) -> None:
    impl = tmp_path / "mlops.py"
    impl.write_text("import sys\n\ndef leave():\n    sys.exit('bye')\n")
    ctx = GradeContext(STAGES["stage3"], str(impl), DEFAULT_IMPL, MODULE_HINT, tmp_path)
    module = ctx.load()
    with pytest.raises(StepFailed) as caught:
        step(ctx, "RecommendationMLOps('x')", module.leave)
    measurement = caught.value.measurement
    assert measurement.passed is False
    assert measurement.error_source is ErrorSource.IMPLEMENTATION
    assert "RecommendationMLOps('x')" in measurement.evidence and "sys.exit" in measurement.evidence
    sys.modules.pop("mlops", None)
