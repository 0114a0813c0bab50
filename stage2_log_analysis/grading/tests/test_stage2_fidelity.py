"""The fast fidelity cases of stage 2: the grader judges each one right (``make test``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.fidelity import FidelityCase, judge_case, load_cases

CASES = Path(__file__).resolve().parents[1] / "cases"


@pytest.mark.slow
@pytest.mark.parametrize("case", load_cases("stage2", CASES, tier="fast"), ids=lambda c: c.name)
def test_fast_case_is_judged_right(case: FidelityCase, tmp_path: Path) -> None:
    outcome = judge_case(case, tmp_path)
    assert outcome.right, outcome.explain()


def test_the_slow_suite_loads() -> None:
    assert load_cases("stage2", CASES, tier="all")
