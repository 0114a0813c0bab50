"""The grader of stage2 (``make check-stage2``).

Moving here from ``stage2_log_analysis.grading`` (inside the product); until then it re-exports that module.
"""

from stage2_log_analysis.grading import *  # noqa: F403
from stage2_log_analysis.grading import DEFAULT_IMPL, MODULE_HINT, TITLE, build_checks

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]
