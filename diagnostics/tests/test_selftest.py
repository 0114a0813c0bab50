"""The scorer grades the reference at 100% and each flawed solution loses exactly its points."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnostics.rubric import load_rubric
from diagnostics.selftest import CaseOutcome, alternatives_dir, load_flaw_cases

FLAWS = [case.name for case in load_flaw_cases()]
ALTERNATIVES = [case.name for case in load_flaw_cases(alternatives_dir())]

pytestmark = pytest.mark.slow


def test_reference_scores_every_point(selftest_outcomes: dict[str, CaseOutcome]) -> None:
    outcome = selftest_outcomes["reference"]
    assert outcome.actual_lost == [], outcome.evidence
    assert outcome.points_lost == 0


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_correct_solutions_in_other_styles_score_every_point(
    alternative: str, selftest_outcomes: dict[str, CaseOutcome]
) -> None:
    outcome = selftest_outcomes[alternative]
    assert outcome.actual_lost == [], outcome.evidence


@pytest.mark.parametrize("flaw", FLAWS)
def test_flawed_solution_loses_exactly_its_points(
    flaw: str, selftest_outcomes: dict[str, CaseOutcome]
) -> None:
    outcome = selftest_outcomes[flaw]
    assert sorted(outcome.actual_lost) == sorted(outcome.expected_lost), outcome.evidence
    assert outcome.points_lost == outcome.expected_points_lost


def test_every_problem_has_flawed_solutions() -> None:
    cases = load_flaw_cases()
    assert {p for case in cases for p in case.problems} == {1, 2, 3}


def test_the_issue_s_named_flaws_are_covered() -> None:
    # off-by-one hour buckets, reading the whole file at once, swallowing exceptions,
    # a sync endpoint that blocks, a decorator that loses the return value
    names = set(FLAWS)
    assert {
        "hour-label-off-by-one",
        "reads-whole-file",
        "decorator-swallows-exceptions",
        "async-endpoint-blocks-loop",
        "decorator-loses-return",
    } <= names


def test_each_flaw_costs_its_rubric_points() -> None:
    rubric = load_rubric()
    for case in load_flaw_cases():
        assert case.points_lost == sum(rubric.get(r).points for r in case.lost), case.name
        assert case.points_lost > 0, case.name


def test_hang_and_syntax_error_cost_only_their_problem(
    selftest_outcomes: dict[str, CaseOutcome],
) -> None:
    syntax = selftest_outcomes["syntax-error"]
    assert {r.split(".")[0] for r in syntax.actual_lost} == {"p1"}
    assert all("could not be imported" in e for e in syntax.evidence.values())
    hang = selftest_outcomes["infinite-loop"]
    assert all("limit" in e for e in hang.evidence.values())


def test_blank_templates_score_nothing(test_config, tmp_path) -> None:
    from diagnostics.grading import GradingSession
    from gradekit import run_checks

    templates = Path(__file__).resolve().parents[1] / "templates"
    session = GradingSession(templates, test_config, tmp_path)
    card = run_checks("diagnostics", "templates", str(templates), session.checks())
    assert [c.id for c in card.criteria if c.passed] == []
    assert all(c.evidence and c.error is None for c in card.criteria)


def test_readme_lists_every_flaw_with_its_points() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for case in load_flaw_cases():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{case.name}` |"))
        assert row.endswith(f"| −{case.points_lost} |"), row
