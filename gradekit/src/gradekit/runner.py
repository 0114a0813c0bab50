"""Run a stage's checks into a scorecard: every criterion measured, none allowed to crash the rest."""

from __future__ import annotations

import platform
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradekit.criterion import Criterion
from gradekit.result import CriterionResult, Measurement
from gradekit.scorecard import Scorecard

__all__ = ["Check", "not_implemented", "run_checks"]

Measure = Callable[[], Measurement]


@dataclass(frozen=True)
class Check:
    """A criterion paired with the function that measures it."""

    criterion: Criterion
    measure: Measure


def run_checks(stage: str, title: str, implementation: str, checks: Sequence[Check]) -> Scorecard:
    """Measure every check in order and judge it.

    An exception inside a measurement fails that criterion, with the error as its evidence;
    it never stops the other criteria from being measured.
    """
    results = [_run_one(check) for check in checks]
    return Scorecard(
        stage=stage,
        title=title,
        implementation=implementation,
        criteria=results,
        environment={"python": platform.python_version(), "machine": platform.machine()},
    )


def not_implemented(stage: str, title: str, implementation: str, message: str) -> Scorecard:
    """The scorecard of a stage with no grader yet: it counts as failing."""
    return Scorecard(
        stage=stage, title=title, implementation=implementation, implemented=False, message=message
    )


def _run_one(check: Check) -> CriterionResult:
    criterion = check.criterion
    started = time.perf_counter()
    try:
        measurement = check.measure()
    except Exception as exc:  # a broken measurement is a failed criterion, not a crash
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return _result(criterion, None, False, "", time.perf_counter() - started, error=tb)
    passed = (
        measurement.passed
        if measurement.passed is not None
        else criterion.comparison.holds(measurement.value, criterion.threshold)
    )
    return _result(
        criterion,
        measurement.value,
        passed,
        measurement.evidence,
        time.perf_counter() - started,
        details=measurement.details,
    )


def _result(
    criterion: Criterion,
    measured: float | bool | str | None,
    passed: bool,
    evidence: str,
    duration: float,
    *,
    error: str | None = None,
    details: dict[str, object] | None = None,
) -> CriterionResult:
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        title_ko=criterion.title_ko,
        method=criterion.method,
        measured=measured,
        unit=criterion.unit,
        threshold=criterion.threshold,
        threshold_text=criterion.threshold_text(),
        passed=passed,
        evidence=evidence,
        duration_s=round(duration, 3),
        weight=criterion.weight,
        error=error,
        details=dict(details or {}),
    )
