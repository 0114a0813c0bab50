"""Command line of stage 4.

Examples::

    python -m stage4_pipelines upstream --port 8765 --orders 2000
    python -m stage4_pipelines run --day 2024-01-01                       # the core, no engine
    python -m stage4_pipelines run --day 2024-01-01 --engine prefect
    python -m stage4_pipelines backfill --start 2024-01-01 --end 2024-01-07 --engine airflow
    python -m stage4_pipelines simulate --days 300
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stage4_pipelines.config import get_settings

__all__ = ["app", "main"]

app = typer.Typer(
    help="Stage 4: the e-commerce ETL on Airflow 3 and Prefect 3.", no_args_is_help=True
)
console = Console()

Engine = Annotated[str, typer.Option("--engine", "-e", help="core | airflow | prefect")]


def _run_days(days: list[date], engine: str) -> dict[date, bool]:
    settings = get_settings()
    results: dict[date, bool] = {}
    if engine == "core":
        from stage4_pipelines.errors import Stage4Error
        from stage4_pipelines.etl import process_day
        from stage4_pipelines.extract import source_from_url
        from stage4_pipelines.warehouse import connect_warehouse

        warehouse = connect_warehouse(settings.warehouse_url)
        source = source_from_url(
            settings.source_url, timeout_seconds=settings.request_timeout_seconds
        )
        for day in days:
            try:
                result = process_day(
                    day,
                    source=source,
                    warehouse=warehouse,
                    sla_dir=settings.sla_dir,
                    reports_dir=settings.reports_dir,
                    run_id="cli",
                )
                console.print(result.model_dump_json())
                results[day] = True
            except Stage4Error as exc:  # the core alone has no retries: say what failed
                console.print(f"[red]{day}: {exc!r}[/]")
                results[day] = False
        warehouse.close()
    elif engine == "airflow":
        from stage4_pipelines.engines import run_day_with_airflow

        subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True
        )
        from stage4_pipelines.airflow_dag import create_etl_dag

        dag = create_etl_dag(settings)
        results = {day: run_day_with_airflow(dag, day, settings) for day in days}
    elif engine == "prefect":
        from stage4_pipelines.engines import run_day_with_prefect
        from stage4_pipelines.prefect_flow import etl_pipeline

        results = {day: run_day_with_prefect(etl_pipeline, day, settings) for day in days}
    else:
        raise typer.BadParameter(f"unknown engine {engine!r}: use core, airflow or prefect")
    return results


def _report(results: dict[date, bool]) -> None:
    failed = [str(d) for d, ok in results.items() if not ok]
    console.print(f"{len(results) - len(failed)}/{len(results)} day(s) loaded")
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/] — fix the cause, then run them again")
        raise typer.Exit(1)


@app.command()
def run(
    day: Annotated[str, typer.Option("--day", "-d", help="YYYY-MM-DD")],
    engine: Engine = "core",
) -> None:
    """Process one day (idempotent: running it again replaces the day)."""
    _report(_run_days([date.fromisoformat(day)], engine))


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", "-s", help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last day (inclusive), YYYY-MM-DD")],
    engine: Engine = "core",
) -> None:
    """Reprocess every day from START to END; failed days are listed and exit code is 1."""
    from stage4_pipelines.engines import day_range

    _report(_run_days(day_range(date.fromisoformat(start), date.fromisoformat(end)), engine))


@app.command()
def simulate(
    days: Annotated[int, typer.Option("--days", "-n", help="simulated days")] = 3000,
    out: Annotated[Path, typer.Option("--out", "-o", help="work folder")] = Path("data/stage4/sim"),
) -> None:
    """The reliability experiment in fast mode (see bench/run.py for the full benchmark)."""
    from stage4_pipelines.reliability import SimulationConfig, run_simulation

    report = run_simulation(SimulationConfig.model_validate({"days": days}), out)
    console.print(report.model_dump_json(indent=2, exclude={"config"}))


@app.command()
def upstream(
    port: Annotated[int, typer.Option("--port", "-p")] = 8765,
    orders: Annotated[int, typer.Option("--orders", help="orders per generated day")] = 2000,
    fault_rate: Annotated[float, typer.Option("--fault-rate", help="5xx rate per request")] = 0.0,
) -> None:
    """Serve the fake upstream API on 127.0.0.1 until Ctrl-C."""
    from stage4_pipelines.source.server import main as serve

    serve(["--port", str(port), "--orders", str(orders), "--fault-rate", str(fault_rate)])


def main() -> None:
    """Entry point of ``python -m stage4_pipelines``."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    app()
