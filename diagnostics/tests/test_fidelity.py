"""The scorer's self-test: flawed candidates lose exactly their requirements, honest ones none.

The ``fast`` cases of ``diagnostics/cases/`` are judged here (started in the background at
session start, see conftest); ``make fidelity-diagnostics`` judges all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnostics.grading import CASES_DIR, GradingSession, criteria
from diagnostics.rubric import load_rubric
from diagnostics.selftest import (
    CASES_README,
    load_diagnostics_cases,
    points_lost,
    render_cases_markdown,
)
from gradekit import run_checks
from gradekit.fidelity import CaseKind, CaseOutcome, FidelityCase, assemble_case, coverage

FAST = load_diagnostics_cases(tier="fast")
ALL = load_diagnostics_cases()


@pytest.mark.slow
@pytest.mark.parametrize("case", FAST, ids=[c.name for c in FAST])
def test_fast_case_is_judged_right(
    case: FidelityCase, fidelity_outcomes: dict[str, CaseOutcome]
) -> None:
    outcome = fidelity_outcomes[case.name]
    assert outcome.right, outcome.explain()


def test_every_requirement_has_three_flawed_and_two_honest_cases() -> None:
    _, gaps = coverage(ALL, [c.id for c in criteria()])
    assert gaps == []


def test_every_requirement_has_three_flaws_that_lose_only_it() -> None:
    alone = [c.fails[0] for c in ALL if c.kind is CaseKind.FLAWED and len(c.fails) == 1]
    assert {r.id: alone.count(r.id) >= 3 for r in load_rubric().requirement} == {
        r.id: True for r in load_rubric().requirement
    }


def test_flawed_cases_lose_rubric_requirements_of_the_problems_they_grade() -> None:
    rubric = load_rubric()
    ids = {r.id for r in rubric.requirement}
    for case in ALL:
        if case.kind is not CaseKind.FLAWED:
            continue
        assert set(case.fails) <= ids, case.name
        graded = {int(p) for p in case.options.get("problems", "1,2,3").split(",")}
        assert {rubric.get(r).problem for r in case.fails} <= graded, case.name
        assert points_lost(case, rubric) > 0, case.name


def test_honest_cases_of_different_designs_grade_every_problem() -> None:
    honest = [c for c in ALL if c.kind is CaseKind.HONEST]
    assert len(honest) >= 2
    for case in honest:
        assert "problems" not in case.options, case.name
        assert {f"problem{n}.py" for n in (1, 2, 3)} <= {p.name for p in case.folder.iterdir()}


def test_every_case_assembles(tmp_path: Path) -> None:
    for case in ALL:  # raises when an edit no longer matches its base exactly once
        if case.kind is not CaseKind.REFERENCE:
            assemble_case(case, tmp_path / case.name)


def test_the_issue_s_misjudgements_have_cases() -> None:
    names = {c.name for c in ALL}
    assert {"p1-bare-open", "p2-keeps-error-lines", "p3-blocks-1600ms"} <= names


def test_cases_readme_is_generated_from_the_cases() -> None:
    written = CASES_README.read_text(encoding="utf-8")
    assert written == render_cases_markdown(ALL), (
        "cases/README.md is stale: run `uv run --frozen python -m diagnostics cases --write`"
    )


def test_cases_live_where_gradekit_looks() -> None:
    assert Path(__file__).resolve().parents[1] / "cases" == CASES_DIR


@pytest.mark.slow
def test_blank_templates_score_nothing(test_config, tmp_path) -> None:
    templates = Path(__file__).resolve().parents[1] / "templates"
    session = GradingSession(templates, test_config, tmp_path)
    card = run_checks("diagnostics", "templates", str(templates), session.checks())
    assert [c.id for c in card.criteria if c.passed] == []
    assert all(c.evidence and c.error_source != "grader" for c in card.criteria)
