"""A probe that raised, as the failed verdict of the criterion that needed it."""

from __future__ import annotations

from gradekit.result import ErrorSource, Measurement

__all__ = ["failed_run"]


def failed_run(what: str, m: Measurement) -> Measurement:
    """``what`` (the graded call) failed: its error, and whose error it was (the graded code's
    unless the probe says otherwise)."""
    return Measurement.failed(
        f"{what} failed: {m.error or m.evidence}",
        source=m.error_source or ErrorSource.IMPLEMENTATION,
        details=m.details,
    )
