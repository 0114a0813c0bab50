"""The grader of stage 1 (``make check-stage1``): six criteria, each measured in a child process.

It lives beside the stage's tests and bench, not in the product: ``stage1_validation``'s wheel
holds no grader. ``cases/`` beside this package is its fidelity suite (``make fidelity-stage1``).
"""

from stage1_grading.checks import build_checks
from stage1_grading.criteria import CRITERIA

__all__ = ["CRITERIA", "DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]

TITLE = "Stage 1 — Python fundamentals: data validation"
DEFAULT_IMPL = "stage1_validation"
MODULE_HINT: str | None = "validator"
