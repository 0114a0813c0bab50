"""``logan``: analyse, follow and generate access logs.

Examples::

    logan generate --size 1GB --out data/access.log          # + data/access.log.truth.json
    logan analyze data/access.log --out reports/logs          # single process
    logan analyze data/access.log --engine dask --workers 2 --out reports/logs
    logan analyze data/*.log.gz --engine dask --scheduler tcp://10.0.0.5:8786 --out out/
    logan analyze access.log --anomaly-config anomaly.toml --anomaly z=5 --anomaly min_requests=5
    logan follow /var/log/nginx/access.log --out reports/live
    logan generate --shape sparse_hourly --out data/sampled.log   # a real-log shape + truth
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from stage2_log_analysis.errors import LogAnalysisError

if TYPE_CHECKING:
    import pandas as pd

# pandas, Dask and Polars are imported inside the commands: `--engine dask` spawns worker
# processes that re-import this module, and they should not carry what they never use.

__all__ = ["analyze", "app", "follow", "generate", "main"]

app = typer.Typer(help="Access-log analytics: analyze, follow, generate.", no_args_is_help=True)
console = Console(stderr=True)


AnomalyFile = Annotated[
    Path | None,
    typer.Option(
        "--anomaly-config",
        help="TOML or JSON file of detector settings (keys of AnomalyConfig, optionally "
        "under [anomaly]); see the stage README for each setting and its default",
    ),
]
AnomalySettings = Annotated[
    list[str] | None,
    typer.Option(
        "--anomaly",
        "-a",
        help="one detector setting as KEY=VALUE (repeatable; wins over --anomaly-config), "
        "e.g. -a z=5 -a min_requests=5",
    ),
]


def _anomaly_config(path: Path | None, settings: list[str] | None) -> object:
    from stage2_log_analysis.anomaly import load_anomaly_config

    return load_anomaly_config(path, settings)


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True, highlight=False)
    return typer.Exit(2)


def analyze(
    files: Annotated[list[Path], typer.Argument(help="log files (plain or .gz)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("reports/logs"),
    engine: Annotated[str, typer.Option("--engine", "-e", help="local or dask")] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            "-s",
            envvar="DASK_SCHEDULER_ADDRESS",
            help="existing Dask scheduler (tcp://host:8786); default: a LocalCluster",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", help="LocalCluster workers (default 2; an error with --scheduler)"
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(help="byte ranges parsed at once by the local engine (default: one per core)"),
    ] = None,
    dashboard: Annotated[
        str,
        typer.Option(help="LocalCluster dashboard address (default: this machine only)"),
    ] = "127.0.0.1:0",
    anomaly_config: AnomalyFile = None,
    anomaly: AnomalySettings = None,
    spill_dir: Annotated[
        Path | None,
        typer.Option(help="where per-day rows go when they outgrow memory (default: temp)"),
    ] = None,
    chart: Annotated[bool, typer.Option(help="write chart.png")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Analyse whole files: per-minute/hour/day statistics, anomalies, Parquet under --out."""
    from stage2_log_analysis.analysis import analyze as run_analysis
    from stage2_log_analysis.output import prepare_output, render_summary, write_results

    try:
        cfg = _anomaly_config(anomaly_config, anomaly)
        prepare_output(out)  # a bad --out fails now, not after an hour of analysis
        result = run_analysis(
            files,
            engine=engine,  # type: ignore[arg-type]
            scheduler=scheduler,
            n_workers=workers,
            threads=threads,
            dashboard=dashboard,
            anomaly_config=cfg,  # type: ignore[arg-type]
            spill_dir=spill_dir,
            progress=progress,
        )
        write_results(result, out, chart=chart)
    except LogAnalysisError as exc:
        raise _fail(exc) from None
    typer.echo(render_summary(result))
    console.print(f"[dim]wrote {out}/ (minutes, hourly, daily, top_paths, anomalies, chart.png)[/]")


def _live_table(rows: pd.DataFrame) -> Table:
    table = Table(title="logan follow — closed minutes (UTC)")
    columns = ("minute", "requests", "5xx", "error rate", "distinct IPs", "top IP", "top path")
    for col in (*columns, "anomalies"):
        table.add_column(col)
    for r in rows.tail(15).to_dict("records"):
        table.add_row(
            f"{r['minute']:%Y-%m-%d %H:%M}",
            f"{int(r['requests']):,}",
            f"{int(r['status_5xx']):,}",
            f"{float(r['error_rate']):.2%}",
            f"{int(r['distinct_ips']):,}",
            _text(r.get("top_ip")),
            _text(r.get("top_path")),
            f"[bold red]{r['anomalies']}[/]" if r["anomalies"] else "",
        )
    return table


def _text(value: object) -> str:
    """A cell: '-' for a missing value (None or NaN: a silent minute has no top IP)."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return "-" if missing else str(value)


def follow(
    file: Annotated[Path, typer.Argument(help="the log to tail (rotation is followed)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("reports/live"),
    lateness: Annotated[float, typer.Option(help="seconds to wait for late lines")] = 1.0,
    clock: Annotated[str, typer.Option(help="wall (live log) or event (replay)")] = "wall",
    duration: Annotated[
        float, typer.Option(help="stop after this many seconds (0: run until Ctrl-C)")
    ] = 0.0,
    anomaly_config: AnomalyFile = None,
    anomaly: AnomalySettings = None,
) -> None:
    """Tail FILE and append each closed minute's statistics to Parquet, flagging anomalies."""
    import pandas as pd

    from stage2_log_analysis.follow import follow_log

    try:
        cfg = _anomaly_config(anomaly_config, anomaly)
    except LogAnalysisError as exc:
        raise _fail(exc) from None
    deadline = time.monotonic() + duration if duration > 0 else None
    seen = pd.DataFrame()
    try:
        with Live(_live_table(seen), console=console, refresh_per_second=2) as live:
            for rows in follow_log(
                file,
                lateness_s=lateness,
                clock=clock,  # type: ignore[arg-type]
                stop=lambda: deadline is not None and time.monotonic() > deadline,
                on_top_paths=lambda top: _append_live(top, out, "top_paths"),
                anomaly_config=cfg,  # type: ignore[arg-type]
            ):
                _append_live(rows, out, "minutes")
                seen = pd.concat([seen, rows]).tail(100) if not seen.empty else rows
                live.update(_live_table(seen))
    except KeyboardInterrupt:
        pass


def _append_live(rows: pd.DataFrame, out: Path, table: str) -> None:
    """One Parquet file per emitted batch, named by its first minute (a re-run replaces it)."""
    if rows.empty:
        return
    for date, part in rows.groupby(rows["minute"].dt.strftime("%Y-%m-%d")):
        folder = out / table / f"date={date}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"live-{part['minute'].min():%H%M}.parquet"
        tmp = folder / f".{name}.tmp"
        part.to_parquet(tmp, index=False)
        tmp.replace(folder / name)


def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="log file to write")],
    size: Annotated[
        str | None, typer.Option("--size", help="e.g. 100MB, 1GB, 10GB (default 1GB)")
    ] = None,
    days: Annotated[float, typer.Option(help="time span of the log")] = 1.0,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    fmt: Annotated[str, typer.Option("--format", help="combined, common or json")] = "combined",
    shape: Annotated[
        str | None,
        typer.Option(
            help="a real-log shape instead: sparse_hourly, low_traffic, long_span, "
            "outage_hours, gap_days, bot_bursts, clock_skew (--size stretches its span)"
        ),
    ] = None,
) -> None:
    """Write a realistic log with labelled incidents, and OUT.truth.json beside it."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from stage2_log_analysis.generator import (
        GeneratorConfig,
        generate_log,
        parse_size,
        shape_config,
    )

    started = time.perf_counter()
    try:
        if shape is not None:
            config = shape_config(
                shape, seed=seed, size_bytes=parse_size(size) if size is not None else None
            )
            config = config.model_copy(update={"fmt": fmt})
        else:
            config = GeneratorConfig(
                size_bytes=parse_size(size or "1GB"), days=days, seed=seed, fmt=fmt
            )
        with Progress(
            "[bold]generate", BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=console
        ) as bar:
            task = bar.add_task("generate", total=config.size_bytes)
            truth = generate_log(out, config, progress=lambda n: bar.advance(task, n), shape=shape)
    except (LogAnalysisError, ValidationError) as exc:
        raise _fail(exc) from None
    seconds = time.perf_counter() - started
    summary = (
        f"wrote {out}: {truth.size_bytes / 1e6:,.1f} MB, {truth.lines:,} lines "
        f"({truth.malformed_lines} malformed), {len(truth.incidents)} incidents, "
        f"{truth.size_bytes / 1e6 / seconds:,.0f} MB/s"
    )
    typer.echo(summary)


app.command()(analyze)
app.command()(follow)
app.command()(generate)


def main() -> None:
    """Entry point of the ``logan`` script."""
    from stage2_log_analysis.allocator import configure_allocator

    configure_allocator()  # before Polars is imported: see allocator.py
    app()
