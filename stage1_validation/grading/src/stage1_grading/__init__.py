"""The grader of stage1 (``make check-stage1``).

Moving here from ``stage1_validation.grading`` (inside the product); until then it re-exports that module.
"""

from stage1_validation.grading import *  # noqa: F403
from stage1_validation.grading import DEFAULT_IMPL, MODULE_HINT, TITLE, build_checks

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]
