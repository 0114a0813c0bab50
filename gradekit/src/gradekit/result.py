"""What a measurement found, and the verdict on one criterion."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["CriterionResult", "ErrorSource", "Measurement", "Status"]


class Status(StrEnum):
    """The verdict on one criterion.

    ``INCONCLUSIVE`` is for a criterion that cannot be judged under the grader's options (say,
    "Dask halves the time" on a 50 MB log, where start-up dominates): the scorecard says so
    instead of failing the learner. ``INFO`` is a figure shown for information, not scored
    (a repo-level figure that is not the learner's). ``SKIPPED`` was not measured (``--only``).
    """

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    INFO = "info"
    SKIPPED = "skipped"


class ErrorSource(StrEnum):
    """Whose code raised when a measurement ended in an exception."""

    IMPLEMENTATION = "implementation"  # the graded code: a failed criterion, the learner's fault
    GRADER = "grader"  # the grader's own code: a bug to report, never the learner's fault
    TIMEOUT = "timeout"  # the check ran past its time limit
    CRASH = "crash"  # the child process running the check died without a verdict


class Measurement(BaseModel):
    """The raw outcome of measuring one criterion, returned by a stage's check function.

    ``passed`` may be left ``None``: the runner then judges ``value`` against the criterion's
    threshold. Set it only when the verdict needs more than one number (say, "every injected
    error found *and* nothing else"). Set ``inconclusive`` (the reason) when the criterion cannot
    be judged under these options; the verdict is then neither pass nor fail.
    """

    value: float | bool | str | None
    evidence: str
    passed: bool | None = None
    inconclusive: str | None = None
    error: str | None = None
    error_source: ErrorSource | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def failed(
        cls,
        evidence: str,
        *,
        source: ErrorSource = ErrorSource.IMPLEMENTATION,
        error: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Measurement:
        """A failed criterion with no figure: the evidence says what went wrong and where."""
        return cls(
            value=None,
            evidence=evidence,
            passed=False,
            error=error or evidence,
            error_source=source,
            details=details or {},
        )


class CriterionResult(BaseModel):
    """One line of a scorecard: the criterion, what was measured, and the verdict."""

    id: str
    title: str
    title_ko: str
    method: str
    measured: float | bool | str | None
    unit: str
    threshold: float | bool | str | None
    threshold_text: str
    passed: bool
    evidence: str
    duration_s: float
    weight: float = 1.0
    status: Status = Status.FAIL
    error: str | None = None
    error_source: ErrorSource | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def scored(self) -> bool:
        """False for figures shown only for information, or not measured at all."""
        return self.status not in (Status.INFO, Status.SKIPPED)
