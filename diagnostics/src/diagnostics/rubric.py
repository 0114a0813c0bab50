"""The rubric: problems, requirements, points, feedback lines and follow-up questions.

``rubric.toml`` (beside this file) is the single source; ``rubric.md`` for people is rendered
from it, so the scorer and the interviewer's sheet can never disagree.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from diagnostics.errors import RubricError

__all__ = ["RUBRIC_PATH", "Problem", "Requirement", "Rubric", "load_rubric", "render_markdown"]

RUBRIC_PATH = Path(__file__).with_name("rubric.toml")


class Problem(BaseModel):
    """One timed problem of the test."""

    model_config = ConfigDict(frozen=True)

    number: int
    title: str
    title_ko: str
    minutes: int
    file: str


class Requirement(BaseModel):
    """One graded behaviour: its points, how it is measured, and what to tell the candidate."""

    model_config = ConfigDict(frozen=True)

    id: str
    problem: int
    points: int = Field(gt=0)
    title: str
    title_ko: str
    method: str
    feedback: str
    follow_up: list[str] = Field(default_factory=list)


class Rubric(BaseModel):
    """All problems and requirements, in grading order."""

    model_config = ConfigDict(frozen=True)

    problem: list[Problem]
    requirement: list[Requirement]

    def problems(self) -> list[Problem]:
        """The problems in number order."""
        return sorted(self.problem, key=lambda p: p.number)

    def for_problem(self, number: int) -> list[Requirement]:
        """The requirements of one problem, in the order they are probed."""
        return [r for r in self.requirement if r.problem == number]

    def get(self, requirement_id: str) -> Requirement:
        """The requirement with this id (KeyError names the unknown id)."""
        for req in self.requirement:
            if req.id == requirement_id:
                return req
        raise KeyError(f"no requirement {requirement_id!r} in the rubric")

    def max_points(self, number: int | None = None) -> int:
        """Points available in one problem, or in the whole test."""
        reqs = self.requirement if number is None else self.for_problem(number)
        return sum(r.points for r in reqs)


@cache
def load_rubric(path: Path = RUBRIC_PATH) -> Rubric:
    """Read and check ``rubric.toml`` (ids unique, every requirement in a known problem)."""
    try:
        with path.open("rb") as fh:
            rubric = Rubric.model_validate(tomllib.load(fh))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise RubricError(f"{path} is not a valid rubric: {exc}") from exc
    ids = [r.id for r in rubric.requirement]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RubricError(f"{path}: duplicate requirement ids {duplicates}; make each id unique")
    numbers = {p.number for p in rubric.problem}
    for req in rubric.requirement:
        if req.problem not in numbers:
            raise RubricError(f"{path}: {req.id} names problem {req.problem}, not in {numbers}")
        if not req.id.startswith(f"p{req.problem}."):
            raise RubricError(f"{path}: {req.id} must start with 'p{req.problem}.'")
    return rubric


def render_markdown(rubric: Rubric) -> str:
    """The interviewer's rubric sheet (rubric.md), generated from rubric.toml."""
    lines = [
        "# Diagnostics rubric (진단 테스트 채점 기준)",
        "",
        "<!-- generated from src/diagnostics/rubric.toml by "
        "`uv run --frozen python -m diagnostics rubric --write`; do not edit by hand -->",
        "",
        f"Total: **{rubric.max_points()} points**. Each requirement is all-or-nothing; the "
        "scorecard shows what was measured, and the feedback line below is printed for each miss.",
        "",
    ]
    for prob in rubric.problems():
        lines += [
            f"## Problem {prob.number}: {prob.title} ({prob.title_ko}) — "
            f"{prob.minutes} min, {rubric.max_points(prob.number)} points",
            "",
            "| id | requirement | points | how it is measured | feedback when missed |",
            "|---|---|---:|---|---|",
        ]
        for req in rubric.for_problem(prob.number):
            lines.append(
                f"| `{req.id}` | {req.title} ({req.title_ko}) | {req.points} | {req.method} "
                f"| {req.feedback} |"
            )
        lines += ["", "**Follow-up questions (후속 질문)**", ""]
        for req in rubric.for_problem(prob.number):
            for question in req.follow_up:
                lines.append(f"- `{req.id}`: {question}")
        lines.append("")
    return "\n".join(lines)
