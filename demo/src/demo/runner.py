"""Run the five steps in order with progress, then say where every artefact is."""

from __future__ import annotations

import logging
import os
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from demo.api_server import ApiServer
from demo.config import DemoSettings
from demo.results import DemoRun, StepResult, write_json
from demo.step_api import run_api
from demo.step_logs import run_log_analysis
from demo.step_mlops import MlopsHandoff, run_mlops
from demo.step_pipeline import run_pipeline, warehouse_url_for
from demo.step_validation import run_validation

__all__ = ["STEPS", "run_demo"]

#: (step id, what the progress bar says) in the order they run.
STEPS: tuple[tuple[str, str], ...] = (
    ("validate", "stage 1: validate a generated dataset"),
    ("logs", "stage 2: analyse a log, flag anomalies"),
    ("mlops", "stage 3: train, track, register, promote"),
    ("pipeline", "stage 4: e-commerce ETL with quality gate"),
    ("api", "stage 5: serve the champion, send requests"),
)


def run_demo(
    settings: DemoSettings, *, console: Console | None = None
) -> tuple[DemoRun, ApiServer]:
    """Run every step; return the run record and the API server, still running.

    The caller decides whether to stop the server (tests, CI) or keep it for a browser.
    Re-running is idempotent: each step's folder under ``settings.out`` is replaced.
    """
    console = console or Console()
    _quiet_libraries()
    _clear_outputs(settings.out)
    run = DemoRun(
        scale=settings.scale.value,
        out=str(settings.out),
        seed=settings.seed,
        services={
            "warehouse": warehouse_url_for(settings),
            "mlflow": settings.mlflow_tracking_uri or "SQLite under the output folder",
            "redis": settings.redis_url or "none (cache disabled)",
        },
    )
    console.rule(f"[bold]Live demo[/] (scale {settings.scale.value}) → {settings.out}")
    handoff: MlopsHandoff | None = None
    server: ApiServer | None = None
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        overall = progress.add_task("[bold]all steps", total=len(STEPS))
        for step_id, label in STEPS:
            task = progress.add_task(label, total=1)
            started = time.perf_counter()
            if step_id == "mlops":
                result, handoff = run_mlops(settings)
            elif step_id == "api":
                assert handoff is not None  # mlops always runs first (STEPS order)
                result, server = run_api(settings, handoff)
            else:
                result = _SIMPLE_STEPS[step_id](settings)
            result.seconds = round(time.perf_counter() - started, 1)
            run.steps.append(result)
            write_json(settings.out / "manifest.json", run.model_dump(mode="json"))
            progress.update(task, completed=1)
            progress.advance(overall)
            progress.console.print(_summary_table(result))
    assert server is not None
    console.print(_artifact_table(run))
    return run, server


_SIMPLE_STEPS: dict[str, Callable[[DemoSettings], StepResult]] = {
    "validate": run_validation,
    "logs": run_log_analysis,
    "pipeline": run_pipeline,
}


def _clear_outputs(out: Path) -> None:
    """Remove only the folders this demo writes (``stage1`` … ``stage5``), never anything else."""
    for n in range(1, 6):
        shutil.rmtree(out / f"stage{n}", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def _quiet_libraries() -> None:
    """MLflow logs every migration and repeats the same hints for each run; the step tables
    say what happened, so library chatter is cut to errors (the demo is a program, not a library)."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("alembic", "mlflow", "distributed", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"mlflow\.")


def _summary_table(result: StepResult) -> Table:
    table = Table(
        title=f"stage {result.stage} — {result.title} ({result.seconds} s)", show_header=False
    )
    for key, value in result.summary.items():
        table.add_row(key.replace("_", " "), str(value))
    return table


def _artifact_table(run: DemoRun) -> Table:
    table = Table(title="Where everything is (산출물 위치)")
    table.add_column("stage")
    table.add_column("artefact")
    table.add_column("location", overflow="fold")
    for step in run.steps:
        for item in step.artifacts:
            table.add_row(str(step.stage), item.label, item.location)
    table.add_row("-", "manifest of this run", str(Path(run.out) / "manifest.json"))
    return table
