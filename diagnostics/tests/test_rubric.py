"""The rubric is consistent, matches the probes, and rubric.md is generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnostics.errors import RubricError
from diagnostics.hidden import probes1, probes2, probes3
from diagnostics.rubric import RUBRIC_PATH, load_rubric, render_markdown

MEMBER_DIR = Path(__file__).resolve().parents[1]


def test_points_follow_the_time_limits() -> None:
    rubric = load_rubric()
    assert [p.minutes for p in rubric.problems()] == [30, 45, 30]
    assert [rubric.max_points(n) for n in (1, 2, 3)] == [30, 40, 30]
    assert rubric.max_points() == 100


@pytest.mark.parametrize("number, probes", [(1, probes1), (2, probes2), (3, probes3)])
def test_every_requirement_has_exactly_one_probe_in_rubric_order(number, probes) -> None:
    rubric_ids = [r.id for r in load_rubric().for_problem(number)]
    assert [probe_id for probe_id, _ in probes.PROBES] == rubric_ids


def test_every_requirement_has_feedback_and_a_follow_up_question() -> None:
    for req in load_rubric().requirement:
        assert req.feedback and req.follow_up, req.id


def test_rubric_md_is_generated_from_rubric_toml() -> None:
    written = (MEMBER_DIR / "rubric.md").read_text(encoding="utf-8")
    assert written == render_markdown(load_rubric()), (
        "rubric.md is stale: run `uv run --frozen python -m diagnostics rubric --write`"
    )


def test_duplicate_ids_are_rejected_with_the_id(tmp_path: Path) -> None:
    source = RUBRIC_PATH.read_text(encoding="utf-8")
    first = source.index("\n[[requirement]]")
    block_end = source.index("\n[[requirement]]", first + 1)
    duplicated = source + "\n" + source[first:block_end] + "\n"
    path = tmp_path / "rubric.toml"
    path.write_text(duplicated, encoding="utf-8")
    with pytest.raises(RubricError, match=r"p1\.empty_values"):
        load_rubric(path)


def test_a_broken_rubric_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "rubric.toml"
    path.write_text("[[requirement]]\nid = 'p1.x'\n", encoding="utf-8")
    with pytest.raises(RubricError, match=r"rubric\.toml is not a valid rubric"):
        load_rubric(path)
