"""The grader of stage4 (``make check-stage4``).

Moving here from ``stage4_pipelines.grading`` (inside the product); until then it re-exports that module.
"""

from stage4_pipelines.grading import *  # noqa: F403
from stage4_pipelines.grading import DEFAULT_IMPL, MODULE_HINT, TITLE, build_checks

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]
