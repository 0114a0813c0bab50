"""Errors of the diagnostics scorer.

DiagnosticsError
 ├── CandidateNotFound   the candidate folder is missing or holds none of the problem files: fix the path
 ├── RubricError         rubric.toml is inconsistent (duplicate ids, unknown problem): fix the rubric
 └── SelftestFailed      a reference or flawed solution did not score as expected: the grader changed
"""

from __future__ import annotations

from gradekit.errors import ImplementationNotFound

__all__ = ["CandidateNotFound", "DiagnosticsError", "RubricError", "SelftestFailed"]


class DiagnosticsError(Exception):
    """Raised for any diagnostics failure; the base of this module's errors."""


class CandidateNotFound(DiagnosticsError, ImplementationNotFound):
    """Raised when the candidate folder does not exist or holds no problemN.py file.

    It is also gradekit's ImplementationNotFound, so ``gradekit check`` exits 2 with it.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.spec = path
        self.reason = reason
        Exception.__init__(
            self,
            f"cannot grade candidate folder {path!r}: {reason}. "
            "Pass a folder holding problem1.py, problem2.py and/or problem3.py, "
            "e.g. make diagnose CANDIDATE=workspace/interview-kim",
        )


class RubricError(DiagnosticsError):
    """Raised when the machine-readable rubric is inconsistent."""


class SelftestFailed(DiagnosticsError):
    """Raised when a reference or flawed solution does not lose exactly its expected points."""
