"""The fast fidelity cases of stage 4: the grader judges each one right (``make test``).

The slow ones (both engines for real, the simulation) run with ``make fidelity-stage4``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.fidelity import FidelityCase, coverage, judge_case, load_cases
from stage4_grading import CRITERIA

CASES = Path(__file__).resolve().parents[1] / "cases"


@pytest.mark.slow
@pytest.mark.parametrize("case", load_cases("stage4", CASES, tier="fast"), ids=lambda c: c.name)
def test_fast_case_is_judged_right(case: FidelityCase, tmp_path: Path) -> None:
    outcome = judge_case(case, tmp_path)
    assert outcome.right, outcome.explain()


def test_every_criterion_has_its_flawed_and_honest_cases() -> None:
    _, gaps = coverage(load_cases("stage4", CASES), list(CRITERIA))
    assert gaps == []


def test_every_case_assembles(tmp_path: Path) -> None:
    from gradekit.fidelity import assemble_case

    for case in load_cases("stage4", CASES):
        if case.kind.value == "reference":
            continue
        impl = assemble_case(case, tmp_path / case.name)
        compile((impl / "pipeline.py").read_text(encoding="utf-8"), case.name, "exec")
