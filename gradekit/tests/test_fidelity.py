"""The fidelity suite's own rules: cases assemble from bases and edits, verdicts are exact."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradekit.fidelity import (
    CaseError,
    CaseKind,
    CaseOutcome,
    _verdict,
    assemble_case,
    coverage,
    load_cases,
)


def _case(folder: Path, name: str, toml: str, files: dict[str, str] | None = None) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "case.toml").write_text(textwrap.dedent(toml))
    for file, text in (files or {}).items():
        (folder / name / file).write_text(text)


def test_base_overlay_and_edit(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    _case(cases, "plain", 'description = "plain"\nkind = "honest"\n', {"v.py": "X = 1\nY = 2\n"})
    _case(
        cases,
        "broken",
        """
        description = "y wrong"
        kind = "flawed"
        fails = ["y"]
        base = "plain"
        [[edit]]
        file = "v.py"
        old = "Y = 2"
        new = "Y = 3"
        """,
        {"extra.py.txt": "def (:\n"},
    )
    broken = load_cases("stage9", cases, names=["broken"])[0]
    impl = assemble_case(broken, tmp_path / "out")
    assert (impl / "v.py").read_text() == "X = 1\nY = 3\n"
    assert (impl / "extra.py").exists() and not (impl / "case.toml").exists()


def test_an_edit_that_no_longer_applies_is_an_error(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    _case(
        cases,
        "stale",
        'description = "d"\nkind = "flawed"\nfails = ["a"]\n[[edit]]\nfile = "v.py"\nold = "nope"\nnew = ""\n',
        {"v.py": "X = 1\n"},
    )
    with pytest.raises(CaseError, match="exactly once"):
        assemble_case(load_cases("stage9", cases)[0], tmp_path / "out")


def test_a_flawed_case_must_name_its_criteria(tmp_path: Path) -> None:
    _case(tmp_path, "x", 'description = "d"\nkind = "flawed"\n')
    with pytest.raises(CaseError, match="must list"):
        load_cases("stage9", tmp_path)


def _card(**statuses: str) -> dict[str, object]:
    return {
        "implemented": True,
        "criteria": [{"id": k, "status": v, "evidence": "e"} for k, v in statuses.items()],
    }


def _judge(kind: str, fails: list[str], card: dict[str, object], tmp_path: Path) -> CaseOutcome:
    _case(
        tmp_path, "c", f'description = "d"\nkind = "{kind}"\nfails = {fails!r}\n'.replace("'", '"')
    )
    case = load_cases("stage9", tmp_path)[0]
    base = CaseOutcome(
        stage="stage9",
        name="c",
        kind=CaseKind(kind),
        description="d",
        expected_fail=fails,
        failed=[],
        right=False,
    )
    return _verdict(case, card, base)


def test_flawed_must_fail_exactly_its_criteria(tmp_path: Path) -> None:
    assert _judge("flawed", ["a"], _card(a="fail", b="pass"), tmp_path / "1").right
    assert not _judge("flawed", ["a"], _card(a="pass", b="pass"), tmp_path / "2").right
    assert not _judge("flawed", ["a"], _card(a="fail", b="fail"), tmp_path / "3").right
    assert not _judge("flawed", ["a"], _card(a="inconclusive", b="pass"), tmp_path / "4").right


def test_honest_may_be_inconclusive_but_never_failed(tmp_path: Path) -> None:
    assert _judge("honest", [], _card(a="pass", b="inconclusive"), tmp_path / "1").right
    assert not _judge("honest", [], _card(a="pass", b="fail"), tmp_path / "2").right


def test_a_grader_error_is_never_judged_right(tmp_path: Path) -> None:
    card = _card(a="fail")
    card["criteria"][0]["error_source"] = "grader"  # type: ignore[index]
    assert not _judge("flawed", ["a"], card, tmp_path).right


def test_coverage_counts_cases_per_criterion(tmp_path: Path) -> None:
    _case(tmp_path, "h1", 'description = "d"\nkind = "honest"\n')
    _case(tmp_path, "f1", 'description = "d"\nkind = "flawed"\nfails = ["a"]\n')
    table, gaps = coverage(load_cases("stage9", tmp_path), ["a", "b"], flawed=1, honest=1)
    assert table == {"a": {"flawed": 1, "honest": 1}, "b": {"flawed": 0, "honest": 1}}
    assert gaps == ["b: 0 flawed case(s), 1 wanted"]
