"""The runner judges measurements and never lets one broken check crash the scorecard."""

from __future__ import annotations

import json

from gradekit import Check, Comparison, Criterion, Measurement, run_checks
from gradekit.runner import not_implemented


def _criterion(
    cid: str, threshold: float = 1.0, comparison: Comparison = Comparison.AT_MOST
) -> Criterion:
    return Criterion(
        id=cid,
        title=f"title {cid}",
        title_ko=f"제목 {cid}",
        method="test",
        threshold=threshold,
        unit="s",
        comparison=comparison,
    )


def _boom() -> Measurement:
    raise RuntimeError("sensor exploded")


def test_passing_failing_and_raising_criteria() -> None:
    card = run_checks(
        "stage0",
        "Stage 0",
        "impl",
        [
            Check(_criterion("fast"), lambda: Measurement(value=0.5, evidence="timed")),
            Check(_criterion("slow"), lambda: Measurement(value=1.5, evidence="timed")),
            Check(_criterion("broken"), _boom),
        ],
    )
    by_id = {c.id: c for c in card.criteria}
    assert by_id["fast"].passed is True
    assert by_id["slow"].passed is False
    assert by_id["broken"].passed is False
    assert "sensor exploded" in (by_id["broken"].error or "")
    assert card.passed is False
    assert abs(card.score - 1 / 3) < 1e-9


def test_explicit_verdict_overrides_threshold() -> None:
    card = run_checks(
        "s",
        "S",
        "i",
        [Check(_criterion("x"), lambda: Measurement(value=0.1, evidence="e", passed=False))],
    )
    assert card.criteria[0].passed is False


def test_comparisons() -> None:
    assert Comparison.AT_LEAST.holds(0.96, 0.95)
    assert not Comparison.AT_LEAST.holds(0.94, 0.95)
    assert Comparison.AT_MOST.holds(100, 100)
    assert Comparison.EQUALS.holds("a", "a")
    assert Comparison.IS_TRUE.holds(True, True)
    assert not Comparison.IS_TRUE.holds(False, True)
    assert not Comparison.AT_MOST.holds(None, 1)
    assert not Comparison.AT_MOST.holds("1", 1)


def test_scorecard_json_schema_and_gradescope(tmp_path) -> None:
    card = run_checks(
        "stage9",
        "Stage 9",
        "mine",
        [Check(_criterion("a"), lambda: Measurement(value=0.2, evidence="cmd"))],
    )
    written = card.write(tmp_path, gradescope=True)
    assert [p.name for p in written] == [
        "stage9.json",
        "stage9.md",
        "stage9.junit.xml",
        "stage9.gradescope.json",
    ]
    data = json.loads((tmp_path / "stage9.json").read_text())
    assert {"stage", "implementation", "passed", "criteria"} <= data.keys()
    assert {"id", "title", "measured", "unit", "threshold", "passed", "evidence"} <= data[
        "criteria"
    ][0].keys()
    assert data["passed"] is True
    gs = json.loads((tmp_path / "stage9.gradescope.json").read_text())
    assert gs["score"] == gs["max_score"] == 1.0
    assert {"name", "score", "max_score", "output", "visibility"} <= gs["tests"][0].keys()
    assert (
        "| title a (제목 a) | 0.2 s | <= 1.0 s | ✅ pass |" in (tmp_path / "stage9.md").read_text()
    )
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_not_implemented_counts_as_failing() -> None:
    card = not_implemented("stage7", "Stage 7", "x", "no grader")
    assert card.passed is False and card.implemented is False
