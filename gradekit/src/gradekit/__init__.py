"""gradekit: criteria, measured results and scorecards shared by every stage's grader."""

from gradekit.criterion import Comparison, Criterion
from gradekit.errors import GradekitError, ImplementationNotFound, StageNotImplemented
from gradekit.implementation import load_implementation
from gradekit.result import CriterionResult, Measurement
from gradekit.runner import Check, not_implemented, run_checks
from gradekit.scorecard import Scorecard, write_atomic
from gradekit.stages import STAGES, GradeContext, StageInfo

__all__ = [
    "STAGES",
    "Check",
    "Comparison",
    "Criterion",
    "CriterionResult",
    "GradeContext",
    "GradekitError",
    "ImplementationNotFound",
    "Measurement",
    "Scorecard",
    "StageInfo",
    "StageNotImplemented",
    "load_implementation",
    "not_implemented",
    "run_checks",
    "write_atomic",
]
