"""One isolated check per criterion: each probe runs the learner's code in a child process.

Options (``GRADE_OPTS="--opt rows=5000"``): ``rows`` sizes the generated orders of the two
correctness checks (default 20000, at least 200).
"""

from __future__ import annotations

from gradekit.runner import Check
from gradekit.stages import GradeContext
from stage1_grading.criteria import CRITERIA

__all__ = ["DEFAULT_ROWS", "build_checks"]

DEFAULT_ROWS = "20000"
PROBE_S = 180  # per check: a hang is stopped here, with where it was stuck
_PROBES = "stage1_grading"


def build_checks(ctx: GradeContext) -> list[Check]:
    """The six checks; nothing of the implementation runs in this process."""
    rows = ctx.option("rows", DEFAULT_ROWS)
    # generous: a plain-Python validator takes seconds at 20k rows, but the machine may be shared
    correctness_s = 180 + _as_int(rows) / 200
    return [
        Check(
            CRITERIA["inheritance"],
            ctx.isolated(f"{_PROBES}.probe_inheritance:probe_inheritance", timeout_s=PROBE_S),
        ),
        Check(
            CRITERIA["context_managers"],
            ctx.isolated(f"{_PROBES}.probe_files:probe_context_managers", timeout_s=PROBE_S),
        ),
        Check(
            CRITERIA["custom_exceptions"],
            ctx.isolated(f"{_PROBES}.probe_exceptions:probe_exceptions", timeout_s=PROBE_S),
        ),
        Check(
            CRITERIA["performance_monitor"],
            ctx.isolated(f"{_PROBES}.probe_monitor:probe_performance_monitor", timeout_s=PROBE_S),
        ),
        Check(
            CRITERIA["correctness_whole"],
            ctx.isolated(
                f"{_PROBES}.probe_correctness:probe_correctness",
                timeout_s=correctness_s,
                name="correctness_whole",
                rows=rows,
                chunked=False,
            ),
        ),
        Check(
            CRITERIA["correctness_chunked"],
            ctx.isolated(
                f"{_PROBES}.probe_correctness:probe_correctness",
                timeout_s=correctness_s,
                name="correctness_chunked",
                rows=rows,
                chunked=True,
            ),
        ),
    ]


def _as_int(text: str) -> int:
    try:
        return max(int(text), 0)
    except ValueError:
        return 0
