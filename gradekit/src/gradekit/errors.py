"""Errors of the grading kit.

GradekitError
 ├── ImplementationNotFound   the IMPL to grade cannot be located or imported: fix the path/name
 ├── StageNotImplemented      the stage has no grader yet: nothing to fix on the caller's side
 ├── ToolMissing              a Debian tool (wrk, nginx, chromium) is absent: install it with apt-get
 └── BrowserError             headless Chromium ran but produced no screenshot
"""

from __future__ import annotations

__all__ = [
    "BrowserError",
    "GradekitError",
    "ImplementationNotFound",
    "StageNotImplemented",
    "ToolMissing",
]


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


class ToolMissing(GradekitError, RuntimeError):
    """Raised when a Debian tool is absent and cannot be installed here."""


class BrowserError(GradekitError, RuntimeError):
    """Raised when headless Chromium wrote no screenshot (its stderr is in the message)."""
