"""Run a stage's checks into a scorecard: every criterion measured, none allowed to crash the rest."""

from __future__ import annotations

import platform
import time
import traceback
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from gradekit.criterion import Criterion
from gradekit.result import CriterionResult, ErrorSource, Measurement, Status
from gradekit.scorecard import Scorecard

__all__ = ["Check", "judge", "not_implemented", "run_checks"]

Measure = Callable[[], Measurement]


@dataclass(frozen=True)
class Check:
    """A criterion paired with the function that measures it."""

    criterion: Criterion
    measure: Measure


def run_checks(
    stage: str,
    title: str,
    implementation: str,
    checks: Sequence[Check],
    *,
    only: Collection[str] | None = None,
) -> Scorecard:
    """Measure every check in order and judge it.

    An exception inside a measurement fails that criterion, with the error as its evidence;
    it never stops the other criteria from being measured. ``only`` (criterion ids) measures
    just those; the others are listed as skipped.
    """
    results = [
        _run_one(check) if not only or check.criterion.id in only else _skipped(check.criterion)
        for check in checks
    ]
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


def judge(criterion: Criterion, measurement: Measurement) -> Status:
    """The verdict on one measurement under ``criterion``."""
    if not criterion.scored:
        return Status.INFO
    if measurement.inconclusive and not measurement.error:
        return Status.INCONCLUSIVE
    passed = (
        measurement.passed
        if measurement.passed is not None
        else criterion.comparison.holds(measurement.value, criterion.threshold)
    )
    return Status.PASS if passed else Status.FAIL


def _run_one(check: Check) -> CriterionResult:
    criterion = check.criterion
    started = time.perf_counter()
    try:
        measurement = check.measure()
    except Exception as exc:  # a broken measurement is a failed criterion, not a crash
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        measurement = Measurement.failed(
            f"the grader itself raised (a grader bug, not your code's fault): {tb}",
            source=ErrorSource.GRADER,
        )
    status = judge(criterion, measurement)
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        title_ko=criterion.title_ko,
        method=criterion.method,
        measured=measurement.value,
        unit=criterion.unit,
        threshold=criterion.threshold,
        threshold_text=criterion.threshold_text(),
        passed=status is Status.PASS,
        status=status,
        evidence=_evidence(measurement),
        duration_s=round(time.perf_counter() - started, 3),
        weight=criterion.weight,
        error=measurement.error,
        error_source=measurement.error_source,
        details=dict(measurement.details),
    )


def _evidence(measurement: Measurement) -> str:
    if measurement.inconclusive and not measurement.error:
        return f"inconclusive: {measurement.inconclusive}. {measurement.evidence}".strip()
    return measurement.evidence


def _skipped(criterion: Criterion) -> CriterionResult:
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        title_ko=criterion.title_ko,
        method=criterion.method,
        measured=None,
        unit=criterion.unit,
        threshold=criterion.threshold,
        threshold_text=criterion.threshold_text(),
        passed=False,
        status=Status.SKIPPED,
        evidence="not measured in this run (--only)",
        duration_s=0.0,
        weight=criterion.weight,
    )
