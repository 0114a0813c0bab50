"""Every error the demo raises, under one base class.

Hierarchy::

    DemoError                 base: catch this to handle any demo failure
    ├── DemoConfigError       bad settings (scale name, URL): fix the option or variable named
    └── StepFailed            a stage step broke: the message names the step and its cause
"""

from __future__ import annotations

__all__ = ["DemoConfigError", "DemoError", "StepFailed"]


class DemoError(Exception):
    """Raised for any failure of the live demo."""


class DemoConfigError(DemoError, ValueError):
    """Raised when a setting (option or environment variable) is unusable."""


class StepFailed(DemoError):
    """Raised when one step of the demo fails; ``step`` says which."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"step {step!r} failed: {message}")
        self.step = step
