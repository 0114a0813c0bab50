"""The scorer's own test: the reference scores 100%, each flawed solution loses exactly its points.

Correct solutions written in other styles (``tests/alternatives/``) must score 100% too, so
the hidden tests reward behaviour, not resemblance to the reference.

A flawed solution is a folder under ``diagnostics/tests/flawed/<flaw-name>/`` with the broken
problem file(s) and an ``expected.toml``::

    description = "labels each hour by its end (floor + 1 h)"
    problems = [2]                  # which problems to grade
    lost = ["p2.hourly_buckets"]    # the requirements it must fail, no more, no fewer
    points_lost = 6                 # must equal the rubric points of `lost`
    full = false                    # true: the other problems come from the reference
    # a file that must not parse is kept as problemN.py.txt (linters skip it) and copied as .py
    [options]                       # grading options for this case, e.g. a short timeout
    timeout_p2_s = "5"
"""

from __future__ import annotations

import shutil
import tomllib
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console

from diagnostics.config import GradingConfig
from diagnostics.errors import SelftestFailed
from diagnostics.grading import GradingSession, reference_dir
from diagnostics.rubric import Rubric, load_rubric
from gradekit import run_checks

__all__ = [
    "CaseOutcome",
    "FlawCase",
    "alternatives_dir",
    "flawed_dir",
    "grade_case",
    "grade_reference",
    "load_flaw_cases",
    "run_selftest",
    "start_selftest",
]


class FlawCase(BaseModel):
    """A deliberately flawed solution and the exact requirements it must fail."""

    model_config = ConfigDict(frozen=True)

    name: str
    folder: Path
    description: str
    problems: tuple[int, ...]
    lost: tuple[str, ...]
    points_lost: int
    full: bool = False
    options: dict[str, str] = Field(default_factory=dict)


class CaseOutcome(BaseModel):
    """How a solution actually scored against what it should have."""

    name: str
    expected_lost: list[str]
    actual_lost: list[str]
    points_lost: int
    expected_points_lost: int
    evidence: dict[str, str] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when exactly the expected requirements failed."""
        return sorted(self.expected_lost) == sorted(self.actual_lost)


def flawed_dir() -> Path:
    """``diagnostics/tests/flawed`` of this checkout (the cases live beside the tests)."""
    return Path(__file__).resolve().parents[2] / "tests" / "flawed"


def alternatives_dir() -> Path:
    """``diagnostics/tests/alternatives``: correct solutions in other styles (must lose nothing)."""
    return Path(__file__).resolve().parents[2] / "tests" / "alternatives"


def load_flaw_cases(folder: Path | None = None, rubric: Rubric | None = None) -> list[FlawCase]:
    """Every ``expected.toml`` under ``folder``; its points must match the rubric."""
    folder = folder or flawed_dir()
    rubric = rubric or load_rubric()
    cases = []
    for expected in sorted(folder.glob("*/expected.toml")):
        with expected.open("rb") as fh:
            data = tomllib.load(fh)
        case = FlawCase(name=expected.parent.name, folder=expected.parent, **data)
        points = sum(rubric.get(r).points for r in case.lost)
        if points != case.points_lost:
            raise SelftestFailed(
                f"{expected}: points_lost = {case.points_lost} but the rubric gives {points} "
                f"for {list(case.lost)}; fix points_lost"
            )
        cases.append(case)
    return cases


def grade_reference(base: GradingConfig, work_dir: Path) -> CaseOutcome:
    """Grade the reference solutions on every problem: nothing may be lost."""
    return _grade("reference", reference_dir(), base, work_dir / "reference", (), 0)


def grade_case(case: FlawCase, base: GradingConfig, work_dir: Path) -> CaseOutcome:
    """Grade one flawed solution on its problems (over the reference files when ``full``)."""
    candidate = _assemble(case, work_dir / case.name / "candidate")
    values = base.model_dump() | case.options | {"problems": case.problems}
    config = GradingConfig.model_validate(values)
    return _grade(case.name, candidate, config, work_dir / case.name, case.lost, case.points_lost)


def _assemble(case: FlawCase, candidate: Path) -> Path:
    """Copy the flawed files (``problemN.py.txt`` becomes ``problemN.py``) into a fresh folder.

    ``.py.txt`` keeps a file that does not even parse away from the linters.
    """
    shutil.rmtree(candidate, ignore_errors=True)
    candidate.mkdir(parents=True)
    sources = [reference_dir()] if case.full else []
    for source in [*sources, case.folder]:
        for path in sorted(source.glob("problem*.py*")):
            if path.suffix in (".py", ".txt"):
                shutil.copy2(path, candidate / path.name.removesuffix(".txt"))
    return candidate


def _grade(
    name: str,
    candidate: Path,
    config: GradingConfig,
    work_dir: Path,
    expected: tuple[str, ...],
    expected_points: int,
) -> CaseOutcome:
    session = GradingSession(candidate, config, work_dir)
    card = run_checks("diagnostics", name, str(candidate), session.checks())
    failed = [c for c in card.criteria if not c.passed]
    return CaseOutcome(
        name=name,
        expected_lost=list(expected),
        actual_lost=[c.id for c in failed],
        points_lost=int(sum(c.weight for c in failed)),
        expected_points_lost=expected_points,
        evidence={c.id: c.error or c.evidence for c in failed},
    )


def start_selftest(
    base: GradingConfig,
    work_dir: Path,
    pool: Executor,
    only: list[str] | None = None,
) -> list[Future[CaseOutcome]]:
    """Submit the reference and every (or the named) flawed solution to ``pool``.

    Each case is a set of sandbox subprocesses, so a thread pool only waits on them.
    """
    futures = []
    if not only or "reference" in only:
        futures.append(pool.submit(grade_reference, base, work_dir))
    for case in load_flaw_cases() + load_flaw_cases(alternatives_dir()):
        if not only or case.name in only:
            futures.append(pool.submit(grade_case, case, base, work_dir))
    return futures


def run_selftest(
    base: GradingConfig,
    work_dir: Path,
    console: Console,
    only: list[str] | None = None,
    *,
    workers: int = 2,
) -> list[CaseOutcome]:
    """Grade the reference and the flawed solutions, ``workers`` cases at a time, and print."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = start_selftest(base, work_dir, pool, only)
        return [_show(future.result(), console) for future in futures]


def _show(outcome: CaseOutcome, console: Console) -> CaseOutcome:
    mark = "[green]ok[/]" if outcome.ok else "[red]MISMATCH[/]"
    console.print(
        f"{mark} {outcome.name}: lost {outcome.points_lost} point(s) "
        f"(expected {outcome.expected_points_lost}) {sorted(outcome.actual_lost) or ''}"
    )
    if not outcome.ok:
        for requirement_id, evidence in outcome.evidence.items():
            console.print(f"    [dim]{requirement_id}: {evidence}[/]")
    return outcome
