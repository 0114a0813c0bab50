"""One call from log files to statistics and anomalies: ``analyze(paths, engine=...)``.

The run has phases, each timed with the peak RSS of the process tree (``report.phases``):

1. ``parse + aggregate``: every byte range parsed and reduced to partial counts (one process
   or a Dask cluster), filed by UTC day (``DayBuckets``: memory bounded by a budget);
2. ``tables``: per-minute, hourly and daily statistics, a few whole days at a time;
3. ``top paths``: the ten most requested paths of every hour;
4. ``anomalies``: the detector over the per-minute table (minutes with traffic only).

``output.write_results`` adds the fifth, ``writing``. Cost follows the file, not its time
span: nothing is allocated per empty minute.
"""

from __future__ import annotations

import os
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

from stage2_log_analysis.aggregate import Partial
from stage2_log_analysis.anomaly import AnomalyConfig, detect_minute_anomalies
from stage2_log_analysis.day_buckets import DEFAULT_BUDGET_BYTES, DayBuckets
from stage2_log_analysis.engines import DEFAULT_DASHBOARD, dask_client, run_dask, run_local
from stage2_log_analysis.errors import AnalysisConfigError
from stage2_log_analysis.formats import LogFormat, detect_format
from stage2_log_analysis.phases import PhaseStat, PhaseTimer
from stage2_log_analysis.ranges import DEFAULT_RANGE_BYTES, ByteRange, split_ranges
from stage2_log_analysis.stats import STAT_COLUMNS, build_table, coarsen, top_paths
from stage2_log_analysis.summary import RunSummary, summarize_run

__all__ = ["AnalysisReport", "AnalysisResult", "Engine", "analyze", "plan_work"]

Engine = Literal["local", "dask"]
SCAN = "parse + aggregate"


class AnalysisReport(BaseModel):
    """How a run went: what was read, what was rejected, how long each phase took."""

    files: list[str]
    formats: list[str]
    engine: str
    workers: int
    bytes_read: int  # size of the input files on disk
    uncompressed_bytes: int  # bytes of log lines parsed (a .gz file counts what it holds)
    lines: int
    parsed: int
    rejected: int
    rejected_sample: list[str]
    seconds: float  # wall time of the whole call
    startup_seconds: float  # of which: starting the Dask cluster (0 for the local engine)
    mb_per_s: float  # uncompressed MB over the whole run's time, cluster start-up left out
    phases: list[PhaseStat]
    spilled_bytes: int  # per-day rows written to disk to stay in the memory budget
    summary: RunSummary
    dask_version: str
    polars_version: str


@dataclass
class AnalysisResult:
    """Statistics tables (pandas, UTC; one row per period with traffic) and the anomalies."""

    minutes: pd.DataFrame
    hourly: pd.DataFrame
    daily: pd.DataFrame
    top_paths: pd.DataFrame
    anomalies: pd.DataFrame
    report: AnalysisReport


def plan_work(
    paths: Sequence[str | Path], range_bytes: int = DEFAULT_RANGE_BYTES
) -> list[tuple[ByteRange, LogFormat]]:
    """Every file's format (checked on its first MB) and its line-aligned byte ranges.

    Paths are made absolute here: the Dask workers resolve them in their own working folder.
    """
    if not paths:
        raise AnalysisConfigError("no input files; pass at least one log path")
    work: list[tuple[ByteRange, LogFormat]] = []
    for path in paths:
        absolute = Path(path).expanduser().absolute()
        fmt = detect_format(absolute)
        work.extend((rng, fmt) for rng in split_ranges(absolute, range_bytes))
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
    n_workers: int | None = None,
    range_bytes: int = DEFAULT_RANGE_BYTES,
    anomaly_config: AnomalyConfig | None = None,
    progress: bool = False,
    threads: int | None = None,
    memory_budget_bytes: int = DEFAULT_BUDGET_BYTES,
    spill_dir: str | Path | None = None,
    dashboard: str = DEFAULT_DASHBOARD,
) -> AnalysisResult:
    """Analyse access logs end to end with the chosen engine.

    ``n_workers`` sizes a local Dask cluster (default 2; refused with ``scheduler``);
    ``threads`` runs that many byte ranges at once in the local engine (default: one per
    core, at most 4; Polars releases the GIL while it parses).

    **Usage**::

        result = analyze(["access.log"], engine="dask", n_workers=2)
        result.minutes[["requests", "error_rate"]].head()
        result.report.summary.distinct_clients, result.report.phases
    """
    if engine not in ("local", "dask"):
        raise AnalysisConfigError(f"engine={engine!r}; use 'local' or 'dask'")
    started = time.perf_counter()
    workers, startup = 1, 0.0
    with (
        PhaseTimer() as timer,
        DayBuckets(budget_bytes=memory_budget_bytes, spill_dir=spill_dir) as buckets,
    ):
        with timer.phase(SCAN):
            work = plan_work(paths, range_bytes)
            total = sum(rng.size for rng, _ in work)
            if engine == "local":
                with _progress(total, progress, "analyze (local)") as advance:
                    n = threads if threads is not None else min(os.cpu_count() or 1, 4)
                    run_local(work, sink=buckets.add, advance=advance, threads=n)  # type: ignore[arg-type]
            else:
                t0 = time.perf_counter()
                with dask_client(scheduler, n_workers=n_workers, dashboard=dashboard) as client:
                    workers = len(client.scheduler_info()["workers"])  # type: ignore[attr-defined]
                    startup = time.perf_counter() - t0
                    label = f"analyze (dask, {workers} workers)"
                    with _progress(total, progress, label) as advance:
                        run_dask(work, client, sink=buckets.add, advance=advance)  # type: ignore[arg-type]
        tables = _tables(buckets, timer)
        cfg = anomaly_config or AnomalyConfig()
        with timer.phase("anomalies"):
            anomalies = detect_minute_anomalies(tables["minutes"], cfg)
        seconds = time.perf_counter() - started
        totals = buckets.totals
        report = AnalysisReport(
            files=[str(rng.path) for rng, _ in work if rng.start == 0],
            formats=sorted({fmt.value for _, fmt in work}),
            engine=engine,
            workers=workers,
            bytes_read=total,
            uncompressed_bytes=totals.bytes_read,
            lines=totals.lines,
            parsed=totals.lines - totals.rejected,
            rejected=totals.rejected,
            rejected_sample=totals.rejected_sample,
            seconds=round(seconds, 3),
            startup_seconds=round(startup, 3),
            mb_per_s=_mb_per_s(totals.bytes_read, seconds - startup),
            phases=timer.stats(),
            spilled_bytes=buckets.spilled_bytes,
            summary=summarize_run(tables["minutes"], buckets.ip_names.height, cfg),
            dask_version=version("dask"),
            polars_version=pl.__version__,
        )
    return AnalysisResult(
        minutes=tables["minutes"],
        hourly=tables["hourly"],
        daily=tables["daily"],
        top_paths=tables["top_paths"],
        anomalies=anomalies,
        report=report,
    )


def _mb_per_s(n_bytes: int, seconds: float) -> float:
    return round(n_bytes / 1e6 / seconds, 1) if seconds > 0 else 0.0


def _tables(buckets: DayBuckets, timer: PhaseTimer) -> dict[str, pd.DataFrame]:
    """Minute, hour and day statistics and top paths, built a few whole days at a time."""
    parts: dict[str, list[pd.DataFrame]] = {"minutes": [], "hourly": [], "daily": [], "top": []}
    for days in buckets.batches():
        with timer.phase("tables"):
            parts["minutes"].append(build_table(days, "minute"))
            hours = coarsen(days, "1h")
            parts["hourly"].append(build_table(hours, "hour", aligned=True))
            parts["daily"].append(build_table(hours, "day"))
        with timer.phase("top paths"):
            parts["top"].append(top_paths(days))
    with timer.phase("tables"):
        out = {
            name: _concat(parts[key], level)
            for name, key, level in (
                ("minutes", "minutes", "minute"),
                ("hourly", "hourly", "hour"),
                ("daily", "daily", "day"),
            )
        }
    with timer.phase("top paths"):
        frames = [f for f in parts["top"] if not f.empty]
        out["top_paths"] = (
            pd.concat(frames, ignore_index=True) if frames else top_paths(Partial.empty())
        )
    return out


def _concat(frames: list[pd.DataFrame], level: str) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=STAT_COLUMNS, index=pd.DatetimeIndex([], tz="UTC", name=level))
    return frames[0] if len(frames) == 1 else pd.concat(frames)
