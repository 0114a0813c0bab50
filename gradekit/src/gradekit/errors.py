"""Errors of the grading kit.

GradekitError
 ├── ImplementationNotFound   the IMPL to grade cannot be located or imported: fix the path/name
 └── StageNotImplemented      the stage has no grader yet: nothing to fix on the caller's side
"""

from __future__ import annotations

__all__ = ["GradekitError", "ImplementationNotFound", "StageNotImplemented"]


class GradekitError(Exception):
    """Raised for any grading-kit failure; the base of this module's errors."""


class ImplementationNotFound(GradekitError, ImportError):
    """Raised when the implementation named by IMPL cannot be located or imported."""

    def __init__(self, spec: str, reason: str) -> None:
        self.spec = spec
        self.reason = reason
        super().__init__(
            f"cannot load implementation {spec!r}: {reason}. "
            "Pass IMPL as an importable module name (IMPL=my_pkg.validator), "
            "a .py file (IMPL=workspace/stage1/validator.py) or a directory holding one."
        )


class StageNotImplemented(GradekitError):
    """Raised when a stage's grader does not exist yet."""
