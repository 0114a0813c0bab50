"""Command line of the grading kit: ``python -m gradekit check stage1 --impl ...``.

Examples::

    python -m gradekit check stage1                      # grade the repo's own stage 1
    python -m gradekit check stage1 --impl workspace/stage1  # grade a learner's folder
    python -m gradekit check stage2 --opt size=1GB       # a grader option
    python -m gradekit summary                           # one line per stage from reports/
    python -m gradekit start stage1                      # copy the exercise skeleton
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
) -> None:
    """Measure every criterion of STAGE and print its scorecard (exit 1 when any fails)."""
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
    try:
        ctx.load()
    except ImplementationNotFound as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    card = run_checks(info.key, grader.TITLE, ctx.implementation_name, grader.build_checks(ctx))
    card.render(console)
    for path in card.write(out, gradescope=gradescope):
        console.print(f"[dim]wrote {path}[/]")
    raise typer.Exit(0 if card.passed else 1)


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
