"""The graders' own test: flawed implementations must fail exactly their criteria, honest ones pass.

A grader is only as good as its judgement on code it has never seen. Each stage keeps a suite of
*cases* beside its grader (``<stage>/grading/cases/<name>/``), each an implementation of the
stage's interface written the way a learner might, with a ``case.toml`` saying how it must be
judged::

    description = "the decorator drops functools.wraps (__name__ and __doc__ lost)"
    kind = "flawed"                 # flawed | honest | reference (the repo's own, no files)
    fails = ["performance_monitor"] # flawed: exactly these criteria must fail, all others not
    base = "honest-plain"           # optional: that case's files first, then this folder's
    criteria = ["performance_monitor"]  # optional: measure only these (default: all)
    options = { rows = "2000" }     # grader options (--opt NAME=VALUE)
    tier = "fast"                   # fast: part of `make test`; slow: `make fidelity` only
    exclusive = false               # true: run alone (its criteria time or measure memory)
    timeout_s = 900                 # limit for the whole grading run of this case
    impl = "validator.py"           # optional: the file to pass as IMPL (default: the folder)

    [[edit]]                        # optional: a textual mutation applied after base + overlay
    file = "validator.py"
    old = "@functools.wraps(func)"  # must occur exactly once (so mutants stay meaningful)
    new = ""

A file that must not even parse is kept as ``name.py.txt`` (linters skip it) and copied as
``name.py``. Honest cases may be judged *inconclusive* on a criterion (the scorecard says why)
but never failed; a criterion failed by the grader's own error is never judged right.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from gradekit.errors import GradekitError
from gradekit.result import ErrorSource, Status

__all__ = [
    "CaseKind",
    "CaseOutcome",
    "Edit",
    "FidelityCase",
    "FidelityReport",
    "assemble_case",
    "coverage",
    "judge_case",
    "load_cases",
    "run_cases",
]


class CaseKind(StrEnum):
    """What a case is: the kind decides how its scorecard must look."""

    FLAWED = "flawed"
    HONEST = "honest"
    REFERENCE = "reference"


class Edit(BaseModel):
    """A textual mutation: ``old`` (exactly once in ``file``) becomes ``new``."""

    model_config = ConfigDict(frozen=True)

    file: str
    old: str
    new: str


class FidelityCase(BaseModel):
    """One implementation the grader must judge, and how."""

    model_config = ConfigDict(frozen=True)

    stage: str
    name: str
    folder: Path
    description: str
    kind: CaseKind
    fails: tuple[str, ...] = ()
    base: str | None = None
    criteria: tuple[str, ...] = ()
    options: dict[str, str] = Field(default_factory=dict)
    tier: str = "slow"
    exclusive: bool = False
    timeout_s: float = 900.0
    impl: str | None = None
    edit: tuple[Edit, ...] = ()


class CaseOutcome(BaseModel):
    """How the grader judged one case, against how it should have."""

    stage: str
    name: str
    kind: CaseKind
    description: str
    expected_fail: list[str]
    failed: list[str]
    inconclusive: list[str] = Field(default_factory=list)
    grader_errors: list[str] = Field(default_factory=list)
    right: bool
    problem: str = ""
    duration_s: float = 0.0
    evidence: dict[str, str] = Field(default_factory=dict)

    def explain(self) -> str:
        """A paragraph for a failed test or the terminal: what was expected and what came."""
        lines = [
            f"{self.stage}/{self.name} ({self.kind.value}): {self.description}",
            f"  expected to fail: {self.expected_fail or 'nothing'}; failed: {self.failed or 'nothing'}",
        ]
        if self.problem:
            lines.append(f"  problem: {self.problem}")
        lines += [f"  {cid}: {text[:400]}" for cid, text in self.evidence.items()]
        return "\n".join(lines)


class FidelityReport(BaseModel):
    """Every case of one stage, and the share judged right."""

    stage: str
    outcomes: list[CaseOutcome]
    coverage: dict[str, dict[str, int]] = Field(default_factory=dict)
    coverage_gaps: list[str] = Field(default_factory=list)

    @property
    def right(self) -> int:
        """Cases judged right."""
        return sum(o.right for o in self.outcomes)

    @property
    def share(self) -> float:
        """Share of cases judged right (1.0 for an empty suite)."""
        return self.right / len(self.outcomes) if self.outcomes else 1.0

    @property
    def honest_all_right(self) -> bool:
        """True when every honest and reference case passed (the must-have)."""
        return all(o.right for o in self.outcomes if o.kind is not CaseKind.FLAWED)


class CaseError(GradekitError):
    """Raised when a case folder is malformed (bad case.toml, an edit that does not apply)."""


def load_cases(
    stage: str, folder: Path, *, tier: str = "all", names: Iterable[str] = ()
) -> list[FidelityCase]:
    """The cases under ``folder`` (``tier``: fast, slow or all; ``names``: only these)."""
    wanted = set(names)
    cases: list[FidelityCase] = []
    for toml_path in sorted(folder.glob("*/case.toml")):
        with toml_path.open("rb") as fh:
            data = tomllib.load(fh)
        try:
            case = FidelityCase(
                stage=stage, name=toml_path.parent.name, folder=toml_path.parent, **data
            )
        except ValueError as exc:
            raise CaseError(f"{toml_path}: {exc}") from exc
        if case.kind is CaseKind.FLAWED and not case.fails:
            raise CaseError(f"{toml_path}: a flawed case must list the criteria it fails")
        if wanted and case.name not in wanted:
            continue
        if tier != "all" and case.tier != tier:
            continue
        cases.append(case)
    missing = sorted(wanted - {c.name for c in cases})
    if missing and tier == "all":
        raise CaseError(f"no case named {', '.join(missing)} under {folder}")
    return cases


def assemble_case(case: FidelityCase, target: Path) -> Path:
    """Build the case's implementation folder in ``target``; returns what to pass as IMPL."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    chain = []
    seen: set[str] = set()
    current: FidelityCase | None = case
    while current is not None:
        if current.name in seen:
            raise CaseError(f"{case.name}: base cases form a loop ({' -> '.join(seen)})")
        seen.add(current.name)
        chain.append(current)
        current = _base_of(current)
    edits: list[Edit] = []
    for layer in reversed(chain):
        _overlay(layer.folder, target)
        edits.extend(layer.edit)
    for edit in edits:
        _apply(edit, target, case)
    return target / case.impl if case.impl else target


def _base_of(case: FidelityCase) -> FidelityCase | None:
    if not case.base:
        return None
    found = load_cases(case.stage, case.folder.parent, names=[case.base])
    return found[0]


def _overlay(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        if path.is_dir() or path.name == "case.toml" or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(source)
        name = relative.name.removesuffix(".txt") if relative.name.endswith(".py.txt") else None
        dest = target / (relative.with_name(name) if name else relative)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)


def _apply(edit: Edit, target: Path, case: FidelityCase) -> None:
    path = target / edit.file
    if not path.is_file():
        raise CaseError(f"{case.name}: edit names {edit.file}, which the case does not have")
    text = path.read_text(encoding="utf-8")
    count = text.count(edit.old)
    if count != 1:
        raise CaseError(
            f"{case.name}: edit of {edit.file} expects its 'old' text exactly once, found {count} "
            f"times: {edit.old[:80]!r}"
        )
    path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def judge_case(case: FidelityCase, work_dir: Path, *, out: Path | None = None) -> CaseOutcome:
    """Grade one case with ``gradekit check`` in a child process and judge the verdicts."""
    case_dir = work_dir / case.stage / case.name
    reports = case_dir / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    command = [sys.executable, "-m", "gradekit", "check", case.stage, "--out", str(reports)]
    if case.kind is not CaseKind.REFERENCE:
        command += ["--impl", str(assemble_case(case, case_dir / "impl"))]
    for name, value in case.options.items():
        command += ["--opt", f"{name}={value}"]
    if case.criteria:
        command += ["--only", ",".join(case.criteria)]
    log = case_dir / "grade.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "IMPL"}
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        try:
            subprocess.run(
                command,
                stdout=fh,
                stderr=subprocess.STDOUT,
                timeout=case.timeout_s,
                env=env,
                check=False,
            )
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
    duration = round(time.perf_counter() - started, 1)
    card_path = reports / f"{case.stage}.json"
    base = CaseOutcome(
        stage=case.stage,
        name=case.name,
        kind=case.kind,
        description=case.description,
        expected_fail=sorted(case.fails),
        failed=[],
        right=False,
        duration_s=duration,
    )
    if timed_out or not card_path.exists():
        why = (
            f"the grader ran past the case's {case.timeout_s:g} s limit"
            if timed_out
            else (f"the grader wrote no scorecard (see {log})")
        )
        return base.model_copy(update={"problem": why})
    card = json.loads(card_path.read_text(encoding="utf-8"))
    return _verdict(case, card, base)


def _verdict(case: FidelityCase, card: dict[str, object], base: CaseOutcome) -> CaseOutcome:
    criteria = card.get("criteria") or []
    assert isinstance(criteria, list)
    failed = sorted(c["id"] for c in criteria if c.get("status") == Status.FAIL.value)
    inconclusive = sorted(c["id"] for c in criteria if c.get("status") == Status.INCONCLUSIVE.value)
    grader_errors = sorted(
        c["id"] for c in criteria if c.get("error_source") == ErrorSource.GRADER.value
    )
    evidence = {
        c["id"]: str(c.get("error") or c.get("evidence") or "")
        for c in criteria
        if c["id"] in set(failed) | set(inconclusive) | set(case.fails)
    }
    expected = sorted(case.fails)
    problem = ""
    if grader_errors:
        problem = f"the grader itself raised on {grader_errors}"
    elif case.kind is CaseKind.FLAWED and failed != expected:
        missed = sorted(set(expected) - set(failed))
        extra = sorted(set(failed) - set(expected))
        parts = [
            f"passed or could not judge {missed}" if missed else "",
            f"also failed {extra}" if extra else "",
        ]
        problem = "; ".join(p for p in parts if p)
    elif case.kind is not CaseKind.FLAWED and failed:
        problem = f"an honest implementation failed {failed}"
    if not card.get("implemented", True):
        problem = problem or f"the grader did not run: {card.get('message')}"
    return base.model_copy(
        update={
            "failed": failed,
            "inconclusive": inconclusive,
            "grader_errors": grader_errors,
            "right": not problem,
            "problem": problem,
            "evidence": evidence,
        }
    )


def coverage(
    cases: Sequence[FidelityCase], criteria: Sequence[str], *, flawed: int = 3, honest: int = 2
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Per criterion: flawed cases aimed at it and honest cases measuring it; and the gaps."""
    aimed = Counter(cid for c in cases if c.kind is CaseKind.FLAWED for cid in c.fails)
    table: dict[str, dict[str, int]] = {}
    gaps = []
    for cid in criteria:
        n_honest = sum(
            1 for c in cases if c.kind is CaseKind.HONEST and (not c.criteria or cid in c.criteria)
        )
        table[cid] = {"flawed": aimed[cid], "honest": n_honest}
        if aimed[cid] < flawed:
            gaps.append(f"{cid}: {aimed[cid]} flawed case(s), {flawed} wanted")
        if n_honest < honest:
            gaps.append(f"{cid}: {n_honest} honest case(s), {honest} wanted")
    return table, gaps


def run_cases(
    stage: str,
    cases: Sequence[FidelityCase],
    work_dir: Path,
    *,
    jobs: int = 2,
    criteria: Sequence[str] = (),
    on_outcome: Callable[[CaseOutcome], None] | None = None,
) -> FidelityReport:
    """Judge every case (``jobs`` at a time; exclusive ones alone, after the rest)."""
    shared = [c for c in cases if not c.exclusive]
    alone = [c for c in cases if c.exclusive]
    outcomes: list[CaseOutcome] = []

    def one(case: FidelityCase) -> CaseOutcome:
        outcome = judge_case(case, work_dir)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes += list(pool.map(one, shared))
    outcomes += [one(case) for case in alone]
    table, gaps = coverage(cases, criteria) if criteria else ({}, [])
    return FidelityReport(stage=stage, outcomes=outcomes, coverage=table, coverage_gaps=gaps)
