"""The grader of stage3 (``make check-stage3``).

Moving here from ``stage3_mlops.grading`` (inside the product); until then it re-exports that module.
"""

from stage3_mlops.grading import *  # noqa: F403
from stage3_mlops.grading import DEFAULT_IMPL, MODULE_HINT, TITLE, build_checks

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]
