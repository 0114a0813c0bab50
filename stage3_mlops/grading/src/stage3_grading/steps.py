"""Run one step of the learner's code (or of their model) and turn a failure into a verdict.

A probe calls the learner's methods, loads their registered model and starts servers of it; any
of these may raise, exit or break. :func:`step` turns that into :class:`StepFailed`, carrying a
failed Measurement that names the step and the learner's own frames, so the probe can stop with
a clear message instead of the grader reporting a bug of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gradekit._child import describe_exception, implementation_files
from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext

__all__ = ["StepFailed", "fail", "step"]

T = TypeVar("T")


class StepFailed(Exception):
    """Raised by :func:`step`; ``measurement`` is the failed verdict to return."""

    def __init__(self, measurement: Measurement) -> None:
        super().__init__(measurement.evidence)
        self.measurement = measurement


def fail(evidence: str, **details: Any) -> StepFailed:
    """A StepFailed for a check that ran but found the behaviour wrong."""
    return StepFailed(Measurement(value=False, passed=False, evidence=evidence, details=details))


def step(ctx: GradeContext, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``; an exception or exit becomes StepFailed naming ``what``."""
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as exc:  # the learner's code (or their model) failed
        _, text = describe_exception(exc, implementation_files(ctx))
        text = text.removeprefix("the grader itself raised (a grader bug, not your code's fault)")
        raise StepFailed(
            Measurement.failed(f"{what}: {text.lstrip(': ')}", source=ErrorSource.IMPLEMENTATION)
        ) from exc
