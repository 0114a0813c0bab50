"""Command line for interviewers.

Examples::

    python -m diagnostics grade workspace/interview-kim          # score a candidate's folder
    python -m diagnostics grade cand/ --opt large_file_mb=64      # a smaller problem-2 file
    python -m diagnostics grade cand/ --opt problems=1,3          # only some problems
    python -m diagnostics selftest                                # flawed cases lose, honest don't
    python -m diagnostics selftest --case p2-keeps-error-lines    # one case
    python -m diagnostics cases --write                           # regenerate cases/README.md
    python -m diagnostics rubric --write                          # regenerate rubric.md
    python -m diagnostics template workspace/interview-kim        # copy the blank templates
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from diagnostics.config import GradingConfig
from diagnostics.errors import DiagnosticsError
from diagnostics.grading import TITLE, GradingSession, resolve_candidate
from diagnostics.report import render_points, write_notes
from diagnostics.rubric import load_rubric, render_markdown
from diagnostics.selftest import (
    CASES_README,
    load_diagnostics_cases,
    render_cases_markdown,
    run_selftest,
)
from gradekit import GradekitError, run_checks, write_atomic

__all__ = ["app", "cases", "grade", "main", "rubric", "selftest", "template"]

app = typer.Typer(
    help="Timed interview diagnostics: grade candidates fairly.", no_args_is_help=True
)
console = Console()
MEMBER_DIR = Path(__file__).resolve().parents[2]

OptList = Annotated[
    list[str] | None,
    typer.Option("--opt", help="grading option NAME=VALUE, e.g. large_file_mb=64"),
]


def _config(opt: list[str] | None, **defaults: str) -> GradingConfig:
    options = dict(defaults)
    for item in opt or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            console.print(f"[red]bad --opt {item!r}[/]: expected NAME=VALUE, e.g. large_file_mb=64")
            raise typer.Exit(2)
        options[name.strip()] = value.strip()
    try:
        return GradingConfig.from_options(options)
    except DiagnosticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


@app.command()
def grade(
    candidate: Annotated[str, typer.Argument(help="folder with problem1.py .. problem3.py")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="reports go to OUT/<candidate folder name>/")
    ] = Path("reports/diagnostics"),
    opt: OptList = None,
) -> None:
    """Score CANDIDATE's folder: terminal table, <name>/diagnostics.{json,md}, interview notes."""
    config = _config(opt)
    try:
        folder = resolve_candidate(candidate)
    except DiagnosticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    out_dir = (out / folder.name).resolve()
    rubric = load_rubric()
    started = time.perf_counter()
    session = GradingSession(folder, config, out_dir, rubric=rubric, console=console)
    card = run_checks("diagnostics", TITLE, str(folder), session.checks())
    card.render(console)
    render_points(card, rubric, console)
    written = [*card.write(out_dir), write_notes(card, rubric, out_dir)]
    for path in written:
        console.print(f"[dim]wrote {path}[/]")
    console.print(f"[dim]graded in {time.perf_counter() - started:.1f} s[/]")


@app.command()
def selftest(
    case: Annotated[
        list[str] | None, typer.Option("--case", help="judge only this case (repeatable)")
    ] = None,
    tier: Annotated[str, typer.Option(help="fast, slow or all")] = "all",
    jobs: Annotated[int, typer.Option(help="cases graded at the same time")] = 2,
    out: Annotated[Path, typer.Option("--out", "-o", help="work and report folder")] = Path(
        "reports"
    ),
) -> None:
    """Judge the self-test cases: flawed ones lose exactly their requirements, honest none.

    The same as ``python -m gradekit fidelity diagnostics --strict`` (make fidelity-diagnostics).
    """
    started = time.perf_counter()
    try:
        ok = run_selftest(console, out=out, tier=tier, names=case or [], jobs=jobs)
    except GradekitError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    took = time.perf_counter() - started
    if not ok:
        console.print(f"[bold red]self-test failed[/] ({took:.0f} s)")
        raise typer.Exit(1)
    console.print(f"[bold green]self-test passed[/] in {took:.0f} s")


@app.command()
def cases(
    write: Annotated[
        bool, typer.Option("--write", help="write diagnostics/cases/README.md")
    ] = False,
) -> None:
    """Print the self-test's cases as Markdown (or regenerate diagnostics/cases/README.md)."""
    text = render_cases_markdown(load_diagnostics_cases())
    if write:
        console.print(f"wrote {write_atomic(CASES_README, text)}")
    else:
        typer.echo(text)


@app.command()
def rubric(
    write: Annotated[bool, typer.Option("--write", help="write diagnostics/rubric.md")] = False,
) -> None:
    """Print the rubric as Markdown (or regenerate diagnostics/rubric.md from rubric.toml)."""
    text = render_markdown(load_rubric())
    if write:
        console.print(f"wrote {write_atomic(MEMBER_DIR / 'rubric.md', text)}")
    else:
        typer.echo(text)


@app.command()
def template(
    dest: Annotated[Path, typer.Argument(help="folder for the candidate's files")],
) -> None:
    """Copy the blank templates (problem1.py .. problem3.py) into DEST, keeping existing files."""
    dest.mkdir(parents=True, exist_ok=True)
    for source in sorted((MEMBER_DIR / "templates").glob("problem*.py")):
        target = dest / source.name
        if target.exists():
            console.print(f"kept {target} (already there)")
            continue
        shutil.copy2(source, target)
        console.print(f"copied {target}")


def main() -> None:
    """Entry point of ``python -m diagnostics``."""
    app()
