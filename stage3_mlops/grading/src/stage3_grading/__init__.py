"""The grader of stage 3 (``make check-stage3``): the roadmap's four criteria, by behaviour.

It starts its own MLflow tracking server, runs the learner's ``RecommendationMLOps`` only in
child processes with a time limit per check (``ctx.isolated``), and judges what the server, the
served model and a running Docker container show — never the learner's return values. It lives
beside the stage's tests, not in the product. ``cases/`` is its fidelity suite.
"""

from stage3_grading.checks import build_checks
from stage3_grading.criteria import CRITERIA, DEFAULT_IMPL, MODULE_HINT, TITLE

__all__ = ["CRITERIA", "DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]
