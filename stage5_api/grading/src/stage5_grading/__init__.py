"""The grader of stage 5 (``make check-stage5``): the roadmap's five criteria on a prediction API.

Every criterion runs in its own child process with a time limit (``ctx.isolated``), starts
the graded server the way its Dockerfile does (:mod:`stage5_grading.launch`) and measures it
from outside: load tests (:mod:`stage5_grading.loadtest`), its ``/metrics`` and dashboard,
its CI workflow, Dockerfile and Kubernetes manifests. See ``criteria.py`` for the list.
"""

from stage5_grading.criteria import CRITERIA, DEFAULT_IMPL, MODULE_HINT, TITLE, build_checks

__all__ = ["CRITERIA", "DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]
