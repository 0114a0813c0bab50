"""One call from log files to statistics and anomalies: ``analyze(paths, engine=...)``."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import pandas as pd
import polars as pl
from pydantic import BaseModel

from stage2_log_analysis.aggregate import Partial, combine_partials
from stage2_log_analysis.anomaly import AnomalyConfig, detect_minute_anomalies
from stage2_log_analysis.engines import dask_client, run_dask, run_local
from stage2_log_analysis.errors import AnalysisConfigError
from stage2_log_analysis.formats import LogFormat, detect_format
from stage2_log_analysis.ranges import DEFAULT_RANGE_BYTES, ByteRange, split_ranges
from stage2_log_analysis.stats import build_table, top_paths

__all__ = ["AnalysisReport", "AnalysisResult", "Engine", "analyze"]

Engine = Literal["local", "dask"]


class AnalysisReport(BaseModel):
    """How a run went: what was read, what was rejected, how long it took."""

    files: list[str]
    formats: list[str]
    engine: str
    workers: int
    bytes_read: int
    lines: int
    parsed: int
    rejected: int
    rejected_sample: list[str]
    seconds: float  # wall time of the whole call
    startup_seconds: float  # of which: starting the Dask cluster (0 for the local engine)
    mb_per_s: float  # bytes over processing time (seconds - startup_seconds)
    dask_version: str
    polars_version: str


@dataclass
class AnalysisResult:
    """Statistics tables (pandas, UTC) and the anomalies found in them."""

    minutes: pd.DataFrame
    hourly: pd.DataFrame
    daily: pd.DataFrame
    top_paths: pd.DataFrame
    anomalies: pd.DataFrame
    report: AnalysisReport


def plan_work(
    paths: Sequence[str | Path], range_bytes: int = DEFAULT_RANGE_BYTES
) -> list[tuple[ByteRange, LogFormat]]:
    """Every file's format (checked on its first MB) and its line-aligned byte ranges."""
    if not paths:
        raise AnalysisConfigError("no input files; pass at least one log path")
    work: list[tuple[ByteRange, LogFormat]] = []
    for path in paths:
        fmt = detect_format(path)
        work.extend((rng, fmt) for rng in split_ranges(path, range_bytes))
    return work


@contextmanager
def _progress(total: int, enabled: bool, label: str) -> Iterator[object]:
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        f"[bold]{label}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def analyze(
    paths: Sequence[str | Path],
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    n_workers: int = 2,
    range_bytes: int = DEFAULT_RANGE_BYTES,
    anomaly_config: AnomalyConfig | None = None,
    progress: bool = False,
) -> AnalysisResult:
    """Analyse access logs end to end with the chosen engine.

    **Usage**::

        result = analyze(["access.log"], engine="dask", n_workers=2)
        result.minutes[["requests", "error_rate"]].head()
    """
    if engine not in ("local", "dask"):
        raise AnalysisConfigError(f"engine={engine!r}; use 'local' or 'dask'")
    started = time.perf_counter()
    work = plan_work(paths, range_bytes)
    total = sum(rng.size for rng, _ in work)
    workers = 1
    startup = 0.0
    if engine == "local":
        with _progress(total, progress, "analyze (local)") as advance:
            partial = run_local(work, advance=advance)  # type: ignore[arg-type]
    else:
        t0 = time.perf_counter()
        with dask_client(scheduler, n_workers=n_workers) as client:
            workers = len(client.scheduler_info()["workers"])  # type: ignore[attr-defined]
            startup = time.perf_counter() - t0
            with _progress(total, progress, f"analyze (dask, {workers} workers)") as advance:
                groups = run_dask(work, client, advance=advance)  # type: ignore[arg-type]
        partial = combine_partials(groups)  # after the workers exit: peaks do not add up
    return finish(partial, paths, work, engine, workers, started, anomaly_config, startup)


def finish(
    partial: Partial,
    paths: Sequence[str | Path],
    work: Sequence[tuple[ByteRange, LogFormat]],
    engine: str,
    workers: int,
    started: float,
    anomaly_config: AnomalyConfig | None = None,
    startup: float = 0.0,
) -> AnalysisResult:
    """Build the tables and anomalies from the combined partials."""
    minutes = build_table(partial, "minute")
    seconds = time.perf_counter() - started
    size = sum(rng.size for rng, _ in work)
    report = AnalysisReport(
        files=[str(p) for p in paths],
        formats=sorted({fmt.value for _, fmt in work}),
        engine=engine,
        workers=workers,
        bytes_read=size,
        lines=partial.lines,
        parsed=partial.lines - partial.rejected,
        rejected=partial.rejected,
        rejected_sample=partial.rejected_sample,
        seconds=round(seconds, 3),
        startup_seconds=round(startup, 3),
        mb_per_s=round(size / 1e6 / (seconds - startup), 1) if seconds > startup else 0.0,
        dask_version=version("dask"),
        polars_version=pl.__version__,
    )
    return AnalysisResult(
        minutes=minutes,
        hourly=build_table(partial, "hour"),
        daily=build_table(partial, "day"),
        top_paths=top_paths(partial),
        anomalies=detect_minute_anomalies(minutes, anomaly_config),
        report=report,
    )
