"""diagnostics: the three timed interview problems, their hidden tests and a fair scorer."""

from diagnostics.config import GradingConfig
from diagnostics.errors import CandidateNotFound, DiagnosticsError, RubricError, SelftestFailed
from diagnostics.rubric import Problem, Requirement, Rubric, load_rubric

__all__ = [
    "CandidateNotFound",
    "DiagnosticsError",
    "GradingConfig",
    "Problem",
    "Requirement",
    "Rubric",
    "RubricError",
    "SelftestFailed",
    "load_rubric",
]
