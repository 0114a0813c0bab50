"""The diagnostics grader: one criterion per rubric requirement, weighted by its points.

Used by both ``python -m diagnostics grade DIR`` and ``python -m gradekit check diagnostics
--impl DIR``. Each problem's hidden tests run once, lazily, in a sandbox subprocess
(``sandbox.py``); the criteria of that problem then read their verdicts from it.

``CASES_DIR`` and ``CRITERIA`` are for ``gradekit fidelity diagnostics`` (the self-test): the
flawed and honest candidates in ``diagnostics/cases/`` and the requirement ids they cover.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from diagnostics.config import GradingConfig
from diagnostics.errors import CandidateNotFound
from diagnostics.hidden.logs import LargeLog, write_large_log
from diagnostics.rubric import Requirement, Rubric, load_rubric
from diagnostics.sandbox import ProblemOutcome, run_problem
from gradekit import Check, Criterion, GradeContext, Measurement
from gradekit.result import ErrorSource

__all__ = [
    "CASES_DIR",
    "DEFAULT_IMPL",
    "MODULE_HINT",
    "TITLE",
    "GradingSession",
    "build_checks",
    "criteria",
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
# The self-test's candidates (gradekit's case.toml format): flawed ones must lose exactly
# their requirements, honest ones nothing.
CASES_DIR = Path(__file__).resolve().parents[2] / "cases"
# Sandbox endings that are not the candidate's own answer, as gradekit names them.
_ENDINGS = {"timeout": ErrorSource.TIMEOUT, "crashed": ErrorSource.CRASH}


def criteria(rubric: Rubric | None = None) -> list[Criterion]:
    """One gradekit Criterion per rubric requirement, in rubric order (weight = points)."""
    return [
        Criterion(
            id=requirement.id,
            title=f"P{requirement.problem} · {requirement.title}",
            title_ko=requirement.title_ko,
            method=requirement.method,
            threshold=True,
            unit="",
            weight=requirement.points,
        )
        for requirement in (rubric or load_rubric()).requirement
    ]


def __getattr__(name: str) -> Any:
    """``CRITERIA`` is read from the rubric when first asked for, not at import."""
    if name == "CRITERIA":
        return criteria()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        details = {
            "problem": requirement.problem,
            "points": requirement.points if result.passed else 0,
            "max_points": requirement.points,
            "observed": result.value,
            "sandbox_status": outcome.status,
            "sandbox_seconds": outcome.duration_s,
        }
        if result.passed:
            return Measurement(value=True, evidence=result.evidence, passed=True, details=details)
        if result.source == "grader":
            return Measurement.failed(result.evidence, source=ErrorSource.GRADER, details=details)
        return Measurement(
            value=False,
            evidence=f"{result.evidence} → {requirement.feedback}",
            passed=False,
            error_source=_ENDINGS.get(outcome.status, ErrorSource.IMPLEMENTATION),
            details=details,
        )

    def checks(self) -> list[Check]:
        """One gradekit Check per requirement of the selected problems, in rubric order."""
        return [
            Check(criterion, _bind(self, requirement))
            for requirement, criterion in zip(
                self.rubric.requirement, criteria(self.rubric), strict=True
            )
            if requirement.problem in self.config.problems
        ]

    def _run(self, problem: int) -> ProblemOutcome:
        logs = self._memory_logs() if problem == 2 else None
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
            memory_logs=logs,
            memory_slack_mb=self.config.memory_slack_mb,
        )

    def _memory_logs(self) -> tuple[LargeLog, LargeLog]:
        folder = self.config.data_folder()  # absolute: the sandbox runs in another folder
        sizes = (self.config.small_file_mb, self.config.large_file_mb)
        if self.console:
            self.console.print(
                f"[dim]problem 2: logs of {sizes[0]} and {sizes[1]} MB in {folder} "
                "(generated once, then reused)…[/]"
            )
        small, large = (write_large_log(folder, size, self.config.seed) for size in sizes)
        return small, large


def _bind(session: GradingSession, requirement: Requirement) -> Callable[[], Measurement]:
    return lambda: session.measure(requirement)


def build_checks(ctx: GradeContext) -> list[Check]:
    """gradekit's entry point: grade ``ctx.impl_spec`` (a folder) or the reference solutions."""
    config = GradingConfig.from_options(ctx.options)
    candidate = resolve_candidate(ctx.impl_spec or ctx.default_impl)
    return GradingSession(candidate, config, ctx.work_dir, console=Console(stderr=True)).checks()
