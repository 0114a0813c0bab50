"""The grader judged by its own mutation suite (``cases/``): flawed cases fail exactly their
criteria, honest ones and our reference fail nothing. Fast cases run in ``make test``; the rest
are marked ``fidelity`` (``make fidelity-stage5`` runs them all and prints "N/M judged right")."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.fidelity import FidelityCase, judge_case, load_cases

CASES = Path(__file__).resolve().parents[1] / "cases"


def _ids(case: FidelityCase) -> str:
    return case.name


@pytest.mark.slow
@pytest.mark.parametrize("case", load_cases("stage5", CASES, tier="fast"), ids=_ids)
def test_fast_case_is_judged_right(case: FidelityCase, tmp_path: Path) -> None:
    outcome = judge_case(case, tmp_path)
    assert outcome.right, outcome.explain()


@pytest.mark.fidelity
@pytest.mark.parametrize("case", load_cases("stage5", CASES, tier="slow"), ids=_ids)
def test_slow_case_is_judged_right(case: FidelityCase, tmp_path: Path) -> None:
    outcome = judge_case(case, tmp_path)
    assert outcome.right, outcome.explain()
