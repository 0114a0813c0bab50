"""The grader judged by its own mutation suite (``cases/``): flawed cases fail exactly their
criteria, honest ones and our reference fail nothing. Fast cases run in ``make test``; the rest
are marked ``fidelity`` (``make fidelity-stage3`` runs them all and prints "N/M judged right")."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.fidelity import FidelityCase, assemble_case, coverage, judge_case, load_cases
from stage3_grading import CRITERIA

CASES = Path(__file__).resolve().parents[1] / "cases"


def _ids(case: FidelityCase) -> str:
    return case.name


@pytest.mark.parametrize("case", load_cases("stage3", CASES), ids=_ids)
def test_every_case_assembles(case: FidelityCase, tmp_path: Path) -> None:
    """Every edit applies exactly once, so a mutant is what its description says."""
    if case.kind.value == "reference":
        return
    impl = assemble_case(case, tmp_path / case.name)
    assert (impl if impl.is_dir() else impl.parent).joinpath("mlops.py").is_file()


def test_every_criterion_has_three_flawed_and_two_honest_cases() -> None:
    _, gaps = coverage(load_cases("stage3", CASES), list(CRITERIA))
    assert gaps == []


@pytest.mark.slow
@pytest.mark.parametrize("case", load_cases("stage3", CASES, tier="fast"), ids=_ids)
def test_fast_case_is_judged_right(case: FidelityCase, tmp_path: Path) -> None:
    outcome = judge_case(case, tmp_path)
    assert outcome.right, outcome.explain()


@pytest.mark.fidelity
@pytest.mark.parametrize("case", load_cases("stage3", CASES, tier="slow"), ids=_ids)
def test_slow_case_is_judged_right(case: FidelityCase, tmp_path: Path) -> None:
    outcome = judge_case(case, tmp_path)
    assert outcome.right, outcome.explain()
