"""The grader of stage5 (``make check-stage5``).

Moving here from ``stage5_api.grading`` (inside the product); until then it re-exports that module.
"""

from stage5_api.grading import *  # noqa: F403
from stage5_api.grading import DEFAULT_IMPL, MODULE_HINT, TITLE, build_checks

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]
