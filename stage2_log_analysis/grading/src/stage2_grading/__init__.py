"""The grader of stage 2 (``make check-stage2``): the roadmap's four criteria, measured.

The graded code runs in child processes (``probes.py``, ``live.py``) with a time limit per
check; the verdicts are given here, in the grader's process, from what the children measured
(``verdict_*.py``, one per criterion). The logs are generated with ground truth (``logs.py``); the Dask criterion
runs the code on a cluster the grader starts and reads its task stream (``cluster.py``).

Imports are lazy (PEP 562): the grader's cluster process and its Dask workers import this
package and must stay small (their memory counts against the graded code).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradekit.runner import Check
    from gradekit.stages import GradeContext
    from stage2_grading.criteria import CRITERIA
    from stage2_grading.tree_probe import run_probe

__all__ = ["CRITERIA", "DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks", "run_probe"]

TITLE = "Stage 2 — Large-scale data: log analytics on Dask"
DEFAULT_IMPL = "stage2_log_analysis"
MODULE_HINT = "log_analyzer"

_EXPORTS = {"CRITERIA": "stage2_grading.criteria", "run_probe": "stage2_grading.tree_probe"}


def build_checks(ctx: GradeContext) -> list[Check]:
    """The four criteria, measured on logs generated for this run (options: see Session)."""
    from gradekit.runner import Check
    from stage2_grading.criteria import criteria_for
    from stage2_grading.session import Session
    from stage2_grading.verdict_accuracy import measure_accuracy
    from stage2_grading.verdict_dask import measure_dask
    from stage2_grading.verdict_memory import measure_memory
    from stage2_grading.verdict_streaming import measure_streaming

    s = Session(ctx)
    crit = criteria_for(s.size_text)
    return [
        Check(crit["memory"], lambda: measure_memory(s)),
        Check(crit["dask_speedup"], lambda: measure_dask(s)),
        Check(crit["streaming"], lambda: measure_streaming(s)),
        Check(crit["accuracy"], lambda: measure_accuracy(s)),
    ]


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stage2_grading' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
