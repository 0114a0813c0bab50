"""``gradekit fidelity``: run each stage's case suite and print "N/M judged right"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

from rich.console import Console
from rich.table import Table

from gradekit.errors import StageNotImplemented
from gradekit.fidelity import CaseKind, CaseOutcome, FidelityReport, load_cases, run_cases
from gradekit.scorecard import write_atomic
from gradekit.stages import STAGES, find_grader

__all__ = ["cases_dir", "criterion_ids", "run_fidelity"]


def cases_dir(grader: ModuleType) -> Path:
    """``CASES_DIR`` of the grader, else ``cases/`` of the grader's member folder."""
    explicit = getattr(grader, "CASES_DIR", None)
    if explicit is not None:
        return Path(explicit)
    # stageN_xxx/grading/src/stageN_grading/__init__.py -> stageN_xxx/grading/cases
    return Path(grader.__file__ or "").resolve().parents[2] / "cases"


def criterion_ids(grader: ModuleType) -> list[str]:
    """The ids of the grader's criteria (its ``CRITERIA`` mapping or sequence), for coverage."""
    criteria = getattr(grader, "CRITERIA", None)
    if isinstance(criteria, Mapping):
        return [c.id for c in criteria.values()]
    if isinstance(criteria, Sequence):
        return [c.id for c in criteria]
    return []


def run_fidelity(
    keys: Sequence[str],
    *,
    console: Console,
    tier: str,
    names: Sequence[str],
    jobs: int,
    out: Path,
    min_right: float,
    strict: bool,
) -> bool:
    """Judge the suites of ``keys``; True when every stage meets ``min_right`` and honest cases
    all pass (and, with ``strict``, every criterion has its flawed and honest cases)."""
    reports: list[FidelityReport] = []
    for key in keys:
        try:
            grader = find_grader(STAGES[key])
        except StageNotImplemented as exc:
            console.print(f"[yellow]{key}: {exc}[/]")
            continue
        folder = cases_dir(grader)
        cases = load_cases(key, folder, tier=tier, names=names) if folder.is_dir() else []
        if not cases:
            console.print(f"[yellow]{key}: no {tier} cases under {folder}[/]")
            continue
        console.print(f"[bold]{key}[/]: judging {len(cases)} case(s) from {folder}")
        report = run_cases(
            key,
            cases,
            out / "fidelity",
            jobs=jobs,
            criteria=criterion_ids(grader) if not names and tier == "all" else (),
            on_outcome=lambda o: _show(o, console),
        )
        write_atomic(out / "fidelity" / f"{key}.json", report.model_dump_json(indent=2))
        reports.append(report)
    return _summary(reports, console, min_right=min_right, strict=strict)


def _show(outcome: CaseOutcome, console: Console) -> None:
    mark = "[green]right[/]" if outcome.right else "[red]MISJUDGED[/]"
    console.print(
        f"  {mark} {outcome.name} ({outcome.kind.value}, {outcome.duration_s:g} s): "
        f"failed {outcome.failed or 'nothing'}"
        + (f", inconclusive {outcome.inconclusive}" if outcome.inconclusive else "")
    )
    if not outcome.right:
        console.print(f"[dim]{outcome.explain()}[/]", highlight=False)


def _summary(
    reports: Sequence[FidelityReport], console: Console, *, min_right: float, strict: bool
) -> bool:
    table = Table(title="Grader fidelity: cases judged right")
    for column in ("stage", "judged right", "flawed", "honest", "coverage gaps"):
        table.add_column(column)
    ok = bool(reports)
    for report in reports:
        flawed = [o for o in report.outcomes if o.kind is CaseKind.FLAWED]
        honest = [o for o in report.outcomes if o.kind is not CaseKind.FLAWED]
        stage_ok = report.share >= min_right and report.honest_all_right
        stage_ok &= not (strict and report.coverage_gaps)
        ok &= stage_ok
        colour = "green" if stage_ok else "red"
        table.add_row(
            report.stage,
            f"[{colour}]{report.right}/{len(report.outcomes)} ({report.share:.0%})[/]",
            f"{sum(o.right for o in flawed)}/{len(flawed)}",
            f"{sum(o.right for o in honest)}/{len(honest)}",
            "; ".join(report.coverage_gaps) or "—",
        )
    console.print(table)
    return ok
