"""Command line of stage 4.

Examples::

    python -m stage4_pipelines upstream --port 8765 --orders 2000
    python -m stage4_pipelines run --day 2024-01-01                       # the core, no engine
    python -m stage4_pipelines run --day 2024-01-01 --engine prefect
    python -m stage4_pipelines backfill --start 2024-01-01 --end 2024-01-07 --engine airflow
    python -m stage4_pipelines simulate --days 300

Exit codes: 0 every day loaded; 1 some day failed (listed: fix the cause, run them again);
2 bad input or setting (the message names it and the fix; nothing was run).
"""

from __future__ import annotations

import enum
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.inputs import (
    BadInput,
    check_airflow_days,
    check_day_has_ended,
    day_span,
    load_settings,
    parse_day,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_DAY_FAILED", "app", "main"]

EXIT_DAY_FAILED = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    help="Stage 4: the e-commerce ETL on Airflow 3 and Prefect 3.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


class EngineName(enum.StrEnum):
    """Which orchestrator runs the days."""

    core = "core"
    airflow = "airflow"
    prefect = "prefect"


Engine = Annotated[
    EngineName,
    typer.Option("--engine", "-e", case_sensitive=False, help="core | airflow | prefect"),
]


def _bad_input(message: str) -> NoReturn:
    errors.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _check_targets(settings: PipelineSettings, days: list[date]) -> None:
    """The source opened (a file source: its files checked and the days in its span) and the
    warehouse opened once, before any day runs."""
    from stage4_pipelines.errors import ConfigError, WarehouseBusy
    from stage4_pipelines.extract import check_source_days, source_from_settings
    from stage4_pipelines.warehouse import connect_warehouse

    try:
        check_source_days(source_from_settings(settings), days)
        warehouse = connect_warehouse(settings.warehouse_url)
        warehouse.ping()
        warehouse.close()
    except ConfigError as exc:
        _bad_input(str(exc))
    except WarehouseBusy as exc:
        errors.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_DAY_FAILED) from exc


def _airflow_db_migrate() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        _bad_input(
            f"`airflow db migrate` failed (AIRFLOW_HOME={os.environ.get('AIRFLOW_HOME', '~/airflow')}):"
            f"\n{tail}\nfix the metadata database (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) and run again"
        )


def _run_days(days: list[date], engine: EngineName, settings: PipelineSettings) -> dict[date, bool]:
    results: dict[date, bool] = {}
    if engine is EngineName.core:
        from stage4_pipelines.errors import Stage4Error
        from stage4_pipelines.etl import process_day
        from stage4_pipelines.extract import source_from_settings
        from stage4_pipelines.warehouse import connect_warehouse

        warehouse = connect_warehouse(settings.warehouse_url)
        source = source_from_settings(settings)
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
                errors.print(f"[red]{day}: {exc!r}[/]", highlight=False, soft_wrap=True)
                results[day] = False
        warehouse.close()
    elif engine is EngineName.airflow:
        from stage4_pipelines.engines import run_day_with_airflow

        _airflow_db_migrate()
        from stage4_pipelines.airflow_dag import create_etl_dag

        dag = create_etl_dag(settings)
        results = {day: run_day_with_airflow(dag, day, settings) for day in days}
    else:
        from stage4_pipelines.engines import run_day_with_prefect
        from stage4_pipelines.prefect_flow import etl_pipeline

        results = {day: run_day_with_prefect(etl_pipeline, day, settings) for day in days}
    return results


def _report(results: dict[date, bool]) -> None:
    failed = [str(d) for d, ok in results.items() if not ok]
    console.print(f"{len(results) - len(failed)}/{len(results)} day(s) loaded")
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/] — fix the cause, then run them again")
        raise typer.Exit(EXIT_DAY_FAILED)


@app.command()
def run(
    day: Annotated[str, typer.Option("--day", "-d", help="YYYY-MM-DD")],
    engine: Engine = EngineName.core,
) -> None:
    """Process one day (idempotent: running it again replaces the day)."""
    try:
        the_day = parse_day(day, "--day")
        settings = load_settings()
        check_day_has_ended(the_day, settings.timezone, "--day")
        if engine is EngineName.airflow:
            check_airflow_days([the_day], settings, "--day")
    except BadInput as exc:
        _bad_input(str(exc))
    _check_targets(settings, [the_day])
    _report(_run_days([the_day], engine, settings))


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", "-s", help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last day (inclusive), YYYY-MM-DD")],
    engine: Engine = EngineName.core,
) -> None:
    """Reprocess every day from START to END; failed days are listed and exit code is 1."""
    try:
        days = day_span(parse_day(start, "--start"), parse_day(end, "--end"))
        settings = load_settings()
        check_day_has_ended(days[-1], settings.timezone, "--end")
        if engine is EngineName.airflow:
            check_airflow_days(days, settings, "--start")
    except BadInput as exc:
        _bad_input(str(exc))
    _check_targets(settings, days)
    _report(_run_days(days, engine, settings))


@app.command()
def reconcile(
    start: Annotated[str, typer.Option("--start", "-s", help="first day, YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option("--end", help="last day (default: START)")] = None,
) -> None:
    """Compare loaded days with the source's own truth: orders, order lines, revenue, checksum.

    Needs a source that knows its truth (``olist://`` counts it from the files,
    ``generated://`` from the generator); exit 1 when a day does not match.
    """
    from stage4_pipelines.errors import ConfigError
    from stage4_pipelines.etl import reconcile_day
    from stage4_pipelines.extract import TruthSource, check_source_days, source_from_settings
    from stage4_pipelines.warehouse import connect_warehouse

    try:
        first = parse_day(start, "--start")
        days = day_span(first, parse_day(end, "--end") if end else first)
        settings = load_settings()
    except BadInput as exc:
        _bad_input(str(exc))
    try:
        source = source_from_settings(settings)
        check_source_days(source, days)
        if not isinstance(source, TruthSource):
            raise ConfigError(
                f"STAGE4_SOURCE_URL {settings.source_url!r} keeps no truth to reconcile with: "
                "use olist:///folder or generated://?orders=N (the settings the days were loaded with)"
            )
        warehouse = connect_warehouse(settings.warehouse_url)
        warehouse.ping()
    except ConfigError as exc:
        _bad_input(str(exc))
    try:
        checks = [reconcile_day(warehouse, source.expected_day(day)) for day in days]
    finally:
        warehouse.close()
    for check in checks:
        console.print(check.model_dump_json(), highlight=False, soft_wrap=True)
    wrong = [str(c.day) for c in checks if not c.matches]
    console.print(f"{len(checks) - len(wrong)}/{len(checks)} day(s) reconcile with the source")
    if wrong:
        console.print(f"[red]not matching: {', '.join(wrong)}[/] — run them again")
        raise typer.Exit(EXIT_DAY_FAILED)


@app.command()
def simulate(
    days: Annotated[int, typer.Option("--days", "-n", min=1, help="simulated days")] = 3000,
    out: Annotated[Path, typer.Option("--out", "-o", help="work folder")] = Path("data/stage4/sim"),
) -> None:
    """The reliability experiment in fast mode (see bench/run.py for the full benchmark)."""
    from stage4_pipelines.reliability import SimulationConfig, run_simulation

    report = run_simulation(SimulationConfig.model_validate({"days": days}), out)
    console.print(report.model_dump_json(indent=2, exclude={"config"}))


@app.command()
def upstream(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535)] = 8765,
    orders: Annotated[
        int, typer.Option("--orders", min=1, max=1_000_000, help="orders per generated day")
    ] = 2000,
    fault_rate: Annotated[
        float, typer.Option("--fault-rate", min=0.0, max=1.0, help="5xx rate per request")
    ] = 0.0,
) -> None:
    """Serve the fake upstream API on 127.0.0.1 until Ctrl-C."""
    from stage4_pipelines.source.server import main as serve

    try:
        serve(["--port", str(port), "--orders", str(orders), "--fault-rate", str(fault_rate)])
    except OSError as exc:  # the port is taken, most often by another upstream
        _bad_input(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): stop what uses it or pass --port"
        )


cluster_app = typer.Typer(
    help="Run across machines: Airflow on Celery workers, Prefect on a process work pool.",
    no_args_is_help=True,
)
app.add_typer(cluster_app, name="cluster")

RunDir = Annotated[Path, typer.Option("--run-dir", help="pid files, logs, AIRFLOW_HOME")]


def _airflow_cluster(run_dir: Path, **fields: object) -> Any:
    from pydantic import ValidationError

    from stage4_pipelines.cluster.airflow_celery import AirflowCluster

    try:
        return AirflowCluster.model_validate({"run_dir": run_dir, **fields})
    except ValidationError as exc:
        _bad_input(str(exc))


@cluster_app.command("airflow-up")
def airflow_up(
    run_dir: RunDir = Path("data/stage4/cluster/airflow"),
    workers: Annotated[int, typer.Option("--workers", "-n", min=1, max=16)] = 2,
    redis_url: Annotated[str, typer.Option("--redis-url")] = "redis://127.0.0.1:6379/11",
    database: Annotated[str, typer.Option("--database")] = "s4_airflow",
    api_port: Annotated[int, typer.Option("--api-port", min=1, max=65535)] = 8794,
) -> None:
    """Migrate Airflow's metadata DB, then start api-server, scheduler, dag-processor, workers."""
    cluster = _airflow_cluster(
        run_dir, workers=workers, redis_url=redis_url, database=database, api_port=api_port
    )
    try:
        cluster.up()
    except (TimeoutError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        errors.print(f"[red]error:[/] {exc}\n{detail[-2000:]}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_DAY_FAILED) from exc
    for name, pid in cluster.running().items():
        console.print(f"{name}: pid {pid}")
    console.print(f"API/UI {cluster.api_url}; logs in {cluster.run_dir.resolve()}")


@cluster_app.command("airflow-down")
def airflow_down(run_dir: RunDir = Path("data/stage4/cluster/airflow")) -> None:
    """Stop the workers, then the scheduler, dag-processor and api-server."""
    _airflow_cluster(run_dir).down()


@cluster_app.command("airflow-env")
def airflow_env(
    run_dir: RunDir = Path("data/stage4/cluster/airflow"),
    redis_url: Annotated[str, typer.Option("--redis-url")] = "redis://127.0.0.1:6379/11",
    database: Annotated[str, typer.Option("--database")] = "s4_airflow",
    api_port: Annotated[int, typer.Option("--api-port", min=1, max=65535)] = 8794,
) -> None:
    """Print ``export`` lines that point ``airflow`` commands at the cluster."""
    import shlex

    cluster = _airflow_cluster(run_dir, redis_url=redis_url, database=database, api_port=api_port)
    for name, value in sorted(cluster.env().items()):
        if name.startswith("AIRFLOW"):
            print(f"export {name}={shlex.quote(value)}")


def _prefect_pool(run_dir: Path, **fields: object) -> Any:
    from pydantic import ValidationError

    from stage4_pipelines.cluster.prefect_pool import PrefectPool

    try:
        return PrefectPool.model_validate({"run_dir": run_dir, **fields})
    except ValidationError as exc:
        _bad_input(str(exc))


PoolPort = Annotated[int, typer.Option("--api-port", min=1, max=65535)]
PoolDatabase = Annotated[str, typer.Option("--database")]


@cluster_app.command("prefect-up")
def prefect_up(
    run_dir: RunDir = Path("data/stage4/cluster/prefect"),
    workers: Annotated[int, typer.Option("--workers", "-n", min=1, max=16)] = 2,
    database: PoolDatabase = "s4_prefect",
    api_port: PoolPort = 4210,
) -> None:
    """Start a Prefect server on PostgreSQL, the process work pool, its deployment, workers."""
    pool = _prefect_pool(run_dir, workers=workers, database=database, api_port=api_port)
    try:
        pool.up()
    except TimeoutError as exc:
        errors.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_DAY_FAILED) from exc
    for name, pid in pool.running().items():
        console.print(f"{name}: pid {pid}")
    console.print(
        f"API {pool.api_url}; deployment {pool.deployment!r} on pool {pool.pool!r}; "
        f"logs in {pool.run_dir.resolve()}"
    )


@cluster_app.command("prefect-down")
def prefect_down(run_dir: RunDir = Path("data/stage4/cluster/prefect")) -> None:
    """Stop the workers, then the Prefect server."""
    _prefect_pool(run_dir).down()


@cluster_app.command("prefect-env")
def prefect_env(
    run_dir: RunDir = Path("data/stage4/cluster/prefect"),
    database: PoolDatabase = "s4_prefect",
    api_port: PoolPort = 4210,
) -> None:
    """Print ``export`` lines that point ``prefect`` commands at the pool's server."""
    import shlex

    pool = _prefect_pool(run_dir, database=database, api_port=api_port)
    for name, value in sorted(pool.env().items()):
        if name.startswith("PREFECT_"):
            print(f"export {name}={shlex.quote(value)}")


@cluster_app.command("prefect-backfill")
def prefect_backfill(
    start: Annotated[str, typer.Option("--start", help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last day, YYYY-MM-DD (inclusive)")],
    run_dir: RunDir = Path("data/stage4/cluster/prefect"),
    api_port: PoolPort = 4210,
) -> None:
    """One flow run of the pool's deployment per day, spread over the workers; waits for all."""
    try:
        days = day_span(parse_day(start, "--start"), parse_day(end, "--end"))
    except BadInput as exc:
        _bad_input(str(exc))
    pool = _prefect_pool(run_dir, api_port=api_port)
    runs = pool.submit_days(days)
    states = pool.wait(runs.values())
    for day, run_id in runs.items():
        console.print(f"{day}: {states[run_id]} (flow run {run_id})")
    if any(state != "COMPLETED" for state in states.values()):
        raise typer.Exit(EXIT_DAY_FAILED)


def main() -> None:
    """Entry point of ``python -m stage4_pipelines``."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    app()
