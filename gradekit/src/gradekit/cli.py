"""Command line of the grading kit: ``python -m gradekit check stage1 --impl ...``.

Examples::

    python -m gradekit check stage1                      # grade the repo's own stage 1
    python -m gradekit check stage1 --impl workspace/stage1  # grade a learner's folder
    python -m gradekit check stage2 --opt size=1GB       # a grader option
    python -m gradekit check stage2 --only memory        # measure one criterion
    python -m gradekit summary                           # one line per stage from reports/
    python -m gradekit start stage1                      # copy the exercise skeleton
    python -m gradekit fidelity stage1                   # the grader's own mutation suite
    python -m gradekit progress --impl-root workspace    # where a learner stands (weeks 2..15)
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gradekit.errors import ImplementationNotFound, StageNotImplemented
from gradekit.fidelity_cli import run_fidelity
from gradekit.isolation import run_isolated
from gradekit.progress import render_progress
from gradekit.runner import not_implemented, run_checks
from gradekit.stages import STAGES, GradeContext, StageInfo, find_grader, stage_dir

__all__ = ["app", "main"]

app = typer.Typer(help="Grade the roadmap's stages and print scorecards.", no_args_is_help=True)
console = Console()

StageArg = Annotated[str, typer.Argument(help=f"one of: {', '.join(STAGES)}")]


def _stage(key: str) -> StageInfo:
    if key not in STAGES:
        console.print(f"[red]unknown stage {key!r}[/]; expected one of {', '.join(STAGES)}")
        raise typer.Exit(2)
    return STAGES[key]


@app.command()
def check(
    stage: StageArg,
    impl: Annotated[
        str, typer.Option("--impl", "-i", help="module, .py file or folder to grade")
    ] = "",
    out: Annotated[
        Path, typer.Option("--out", "-o", help="folder for the JSON/Markdown scorecard")
    ] = Path("reports"),
    gradescope: Annotated[bool, typer.Option(help="also write Gradescope results.json")] = False,
    opt: Annotated[list[str] | None, typer.Option("--opt", help="grader option NAME=VALUE")] = None,
    only: Annotated[
        str,
        typer.Option("--only", help="comma-separated criterion ids to measure (others skipped)"),
    ] = "",
) -> None:
    """Measure every criterion of STAGE and print its scorecard.

    Exit 0 when every criterion passed, 1 when any failed, 2 when IMPL cannot be found or
    imported, 3 when none failed but some could not be judged (inconclusive).
    """
    info = _stage(stage)
    impl = impl or os.environ.get("IMPL", "")
    options = _parse_options(opt or [])
    try:
        grader = find_grader(info)
    except StageNotImplemented as exc:
        card = not_implemented(info.key, info.title, impl or info.package, f"{exc}")
        card.render(console)
        card.write(out, gradescope=gradescope)
        raise typer.Exit(1) from None
    ctx = GradeContext(
        stage=info,
        impl_spec=impl,
        default_impl=grader.DEFAULT_IMPL,
        module_hint=getattr(grader, "MODULE_HINT", None),
        work_dir=(out / info.key).resolve(),
        options=options,
    )
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    problem = _implementation_problem(ctx, getattr(grader, "IMPORT_CHECK", True))
    if problem:
        console.print(f"[bold red]error:[/] {problem}")
        raise typer.Exit(2)
    wanted = {c.strip() for c in only.split(",") if c.strip()}
    try:
        checks = grader.build_checks(ctx)
    except ImplementationNotFound as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    unknown = wanted - {c.criterion.id for c in checks}
    if unknown:
        known = ", ".join(c.criterion.id for c in checks)
        console.print(f"[red]--only names unknown criteria {sorted(unknown)}[/]; known: {known}")
        raise typer.Exit(2)
    card = run_checks(info.key, grader.TITLE, ctx.implementation_name, checks, only=wanted)
    card.options = options
    card.render(console)
    for path in card.write(out, gradescope=gradescope):
        console.print(f"[dim]wrote {path}[/]")
    raise typer.Exit(card.exit_code)


def _implementation_problem(ctx: GradeContext, import_check: bool) -> str:
    """Why IMPL cannot be graded at all ("" when it can): located here, imported in a child."""
    try:
        ctx.location  # noqa: B018 (locating raises for a path that does not exist)
    except ImplementationNotFound as exc:
        return str(exc)
    if not import_check:
        return ""
    result = run_isolated(ctx, "gradekit._child:probe_import", timeout_s=120, name="import")
    return "" if result.passed else result.evidence


@app.command()
def fidelity(
    stages: Annotated[
        list[str] | None, typer.Argument(help="stage keys, or none for every stage")
    ] = None,
    tier: Annotated[str, typer.Option(help="fast, slow or all")] = "all",
    case: Annotated[list[str] | None, typer.Option("--case", help="only this case")] = None,
    jobs: Annotated[int, typer.Option(help="cases graded at once")] = 2,
    out: Annotated[Path, typer.Option("--out", "-o", help="work and report folder")] = Path(
        "reports"
    ),
    min_right: Annotated[float, typer.Option(help="share of cases judged right")] = 0.95,
    strict: Annotated[
        bool, typer.Option(help="also fail when a criterion has too few cases")
    ] = False,
) -> None:
    """The graders' own test: flawed cases must fail exactly their criteria, honest ones pass."""
    keys = stages or [k for k in STAGES]
    for key in keys:
        _stage(key)
    ok = run_fidelity(
        keys,
        console=console,
        tier=tier,
        names=case or [],
        jobs=jobs,
        out=out,
        min_right=min_right,
        strict=strict,
    )
    raise typer.Exit(0 if ok else 1)


@app.command()
def progress(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder holding the scorecards")] = Path(
        "reports"
    ),
    impl_root: Annotated[
        str, typer.Option(help="only scorecards of implementations under this folder")
    ] = "",
    html: Annotated[Path | None, typer.Option(help="also write this HTML page")] = None,
) -> None:
    """Where you stand against the roadmap's five checkpoints (weeks 2, 5, 8, 12, 15)."""
    page = render_progress(out, impl_root, console, html or out / "progress.html")
    console.print(f"[dim]wrote {page}[/]")


@app.command()
def summary(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder holding the scorecards")] = Path(
        "reports"
    ),
    stages: Annotated[
        str, typer.Option(help="comma-separated stage keys")
    ] = "stage1,stage2,stage3,stage4,stage5",
) -> None:
    """One line per stage from the written scorecards (exit 1 unless all passed)."""
    table = Table(title="Roadmap scorecard summary")
    for column in ("stage", "criteria passed", "result"):
        table.add_column(column)
    all_passed = True
    for key in stages.split(","):
        path = out / f"{key}.json"
        if not path.exists():
            table.add_row(key, "—", "[red]no scorecard[/]")
            all_passed = False
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        crits = data.get("criteria", [])
        n_pass = sum(1 for c in crits if c.get("passed"))
        label = (
            "[green]PASS[/]"
            if data.get("passed")
            else (
                "[yellow]not implemented[/]"
                if not data.get("implemented", True)
                else "[red]FAIL[/]"
            )
        )
        all_passed &= bool(data.get("passed"))
        table.add_row(key, f"{n_pass}/{len(crits)}", label)
    console.print(table)
    raise typer.Exit(0 if all_passed else 1)


@app.command()
def start(
    stage: StageArg,
    dest: Annotated[Path, typer.Option(help="where the exercise goes")] = Path("workspace"),
) -> None:
    """Copy STAGE's exercise skeleton into workspace/STAGE without overwriting your work."""
    info = _stage(stage)
    source = stage_dir(info) / "exercise"
    if not source.is_dir():
        console.print(f"[red]{info.title}: no exercise skeleton yet[/] (expected {source})")
        raise typer.Exit(1)
    target = dest / info.key
    copied, kept = 0, 0
    for src in sorted(source.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts:
            continue
        dst = target / src.relative_to(source)
        if dst.exists():
            kept += 1
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        copied += 1
    console.print(f"{info.title}: copied {copied} file(s) to {target}/, kept {kept} existing.")
    console.print(f"Grade your work with: [bold]make check-{info.key} IMPL={target}[/]")


@app.command("record")
def record_cmd(
    source: Annotated[Path, typer.Argument(help="a scorecard or fidelity report (reports/...)")],
    target: Annotated[Path, typer.Argument(help="the committed result file to write")],
    command: Annotated[str, typer.Option(help="the command that produced SOURCE")] = "",
) -> None:
    """Keep a scorecard or fidelity run as a committed result, with the machine it ran on."""
    from gradekit.record import main as record_main

    raise typer.Exit(record_main([str(source), str(target), *([command] if command else [])]))


def _parse_options(items: list[str]) -> dict[str, str]:
    options = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            console.print(f"[red]bad --opt {item!r}[/]: expected NAME=VALUE, e.g. --opt size=1GB")
            raise typer.Exit(2)
        options[name.strip()] = value.strip()
    return options


def main() -> None:
    """Entry point of the ``gradekit`` script."""
    app()
