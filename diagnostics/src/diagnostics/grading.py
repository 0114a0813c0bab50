"""The diagnostics grader: one criterion per rubric requirement, weighted by its points.

Used by both ``python -m diagnostics grade DIR`` and ``python -m gradekit check diagnostics
--impl DIR``. Each problem's hidden tests run once, lazily, in a sandbox subprocess
(``sandbox.py``); the criteria of that problem then read their verdicts from it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from diagnostics.config import GradingConfig
from diagnostics.errors import CandidateNotFound
from diagnostics.hidden.logs import LargeLog, write_large_log
from diagnostics.rubric import Requirement, Rubric, load_rubric
from diagnostics.sandbox import ProblemOutcome, run_problem
from gradekit import Check, Criterion, GradeContext, Measurement

__all__ = [
    "DEFAULT_IMPL",
    "MODULE_HINT",
    "TITLE",
    "GradingSession",
    "build_checks",
    "reference_dir",
    "resolve_candidate",
]

TITLE = "Diagnostics — the three timed interview problems"
DEFAULT_IMPL = "diagnostics.reference"
# gradekit imports one file of an IMPL folder before grading; problem1.py is the one it picks.
# The hidden tests themselves never use that import: they run every file in a sandbox.
MODULE_HINT: str | None = "problem1"
# Each problem is imported in its own sandbox; a candidate whose problem1.py does not import
# still gets problems 2 and 3 graded, so gradekit must not refuse the folder up front.
IMPORT_CHECK = False


def reference_dir() -> Path:
    """The folder of the reference solutions (graded when no candidate is given)."""
    return resolve_candidate(DEFAULT_IMPL)


def resolve_candidate(spec: str) -> Path:
    """A candidate folder from a path, a ``problemN.py`` file, or an importable package name."""
    path = Path(spec).expanduser()
    if path.is_file():
        path = path.parent
    if not path.exists() and "/" not in spec and not spec.endswith(".py"):
        try:
            found = importlib.util.find_spec(spec)
        except ModuleNotFoundError:
            found = None
        if found is not None and found.submodule_search_locations:
            path = Path(next(iter(found.submodule_search_locations)))
    if not path.is_dir():
        raise CandidateNotFound(spec, "no such folder")
    if not any((path / f"problem{n}.py").is_file() for n in (1, 2, 3)):
        raise CandidateNotFound(str(path), "it holds none of problem1.py, problem2.py, problem3.py")
    return path.resolve()


class GradingSession:
    """One candidate graded under one config: sandboxes run lazily, once per problem."""

    def __init__(
        self,
        candidate: Path,
        config: GradingConfig,
        work_dir: Path,
        *,
        rubric: Rubric | None = None,
        console: Console | None = None,
    ) -> None:
        self.candidate = candidate
        self.config = config
        self.work_dir = work_dir
        self.rubric = rubric or load_rubric()
        self.console = console
        self.outcomes: dict[int, ProblemOutcome] = {}

    def outcome(self, problem: int) -> ProblemOutcome:
        """The sandbox outcome of ``problem``, running it on first use."""
        if problem not in self.outcomes:
            self.outcomes[problem] = self._run(problem)
        return self.outcomes[problem]

    def measure(self, requirement: Requirement) -> Measurement:
        """The verdict on one requirement, with the feedback line appended when missed."""
        outcome = self.outcome(requirement.problem)
        result = outcome.result_for(requirement.id)
        evidence = (
            result.evidence if result.passed else f"{result.evidence} → {requirement.feedback}"
        )
        return Measurement(
            value=result.passed,
            evidence=evidence,
            passed=result.passed,
            details={
                "problem": requirement.problem,
                "points": requirement.points if result.passed else 0,
                "max_points": requirement.points,
                "observed": result.value,
                "sandbox_status": outcome.status,
                "sandbox_seconds": outcome.duration_s,
            },
        )

    def checks(self) -> list[Check]:
        """One gradekit Check per requirement of the selected problems, in rubric order."""
        checks = []
        for requirement in self.rubric.requirement:
            if requirement.problem not in self.config.problems:
                continue
            criterion = Criterion(
                id=requirement.id,
                title=f"P{requirement.problem} · {requirement.title}",
                title_ko=requirement.title_ko,
                method=requirement.method,
                threshold=True,
                unit="",
                weight=requirement.points,
            )
            checks.append(Check(criterion, _bind(self, requirement)))
        return checks

    def _run(self, problem: int) -> ProblemOutcome:
        large = self._large_log() if problem == 2 else None
        limit = self.config.timeout_for(problem)
        if self.console:
            self.console.print(
                f"[dim]problem {problem}: hidden tests in a sandbox (limit {limit:g} s, "
                f"{self.config.memory_limit_mb} MB)…[/]"
            )
        return run_problem(
            problem,
            self.candidate / f"problem{problem}.py",
            self.work_dir / "sandbox",
            timeout_s=limit,
            memory_limit_mb=self.config.memory_limit_mb,
            seed=self.config.seed,
            large_log=large,
            memory_ratio=self.config.memory_ratio,
            memory_floor_mb=self.config.memory_floor_mb,
        )

    def _large_log(self) -> LargeLog:
        folder = Path(self.config.data_dir) if self.config.data_dir else self.work_dir / "_data"
        folder = folder.resolve()  # the sandbox runs in another working directory
        if self.console:
            self.console.print(
                f"[dim]problem 2: large log of {self.config.large_file_mb} MB in {folder} "
                "(generated once, then reused)…[/]"
            )
        return write_large_log(folder, self.config.large_file_mb, self.config.seed)


def _bind(session: GradingSession, requirement: Requirement) -> Callable[[], Measurement]:
    return lambda: session.measure(requirement)


def build_checks(ctx: GradeContext) -> list[Check]:
    """gradekit's entry point: grade ``ctx.impl_spec`` (a folder) or the reference solutions."""
    config = GradingConfig.from_options(ctx.options)
    candidate = resolve_candidate(ctx.impl_spec or ctx.default_impl)
    return GradingSession(candidate, config, ctx.work_dir, console=Console(stderr=True)).checks()
