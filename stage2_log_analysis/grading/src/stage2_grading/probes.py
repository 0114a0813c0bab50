"""Probes that run the graded code, each in a child process (``ctx.isolated``) with a time limit.

Each returns raw figures in a Measurement's ``details``; the criteria (``verdict_*.py``, in the
grader's own process) judge them. A wrong shape is the graded code's failure, said in words
(``ShapeError``); any other exception is reported by gradekit with the graded code's frames.
"""

from __future__ import annotations

import inspect
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from stage2_grading.sampling import TreesSampler
from stage2_grading.shapes import (
    ShapeError,
    add_record_counts,
    as_pandas,
    flag_ends,
    flag_rows,
    minute_table,
)

__all__ = [
    "probe_analyze",
    "probe_anomalies",
    "probe_baseline",
    "probe_shape_flags",
    "probe_stream",
]


def _shape_failure(exc: ShapeError) -> Measurement:
    return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)


def probe_stream(ctx: GradeContext, path: str, chunk_size: int) -> Measurement:
    """``LogAnalyzer(chunk_size).process_logs_stream(path)`` to the end: counts and peak RSS."""
    module = ctx.load()
    where = "LogAnalyzer.process_logs_stream"
    counts: Counter[tuple[int, int]] = Counter()
    rows = chunks = max_chunk = 0
    started = time.perf_counter()
    try:
        with TreesSampler(os.getpid()) as sampler:
            stream = module.LogAnalyzer(chunk_size).process_logs_stream(path)
            if stream is None:
                raise ShapeError(f"{where} returned None; it must yield DataFrames (a generator)")
            for chunk in stream:
                n = add_record_counts(chunk, counts, where)
                rows += n
                chunks += 1
                max_chunk = max(max_chunk, n)
    except ShapeError as exc:
        return _shape_failure(exc)
    return Measurement(
        value=None,
        evidence=f"{rows} records in {chunks} chunks",
        details={
            **sampler.figures_mb(),
            "seconds": time.perf_counter() - started,
            "rows": rows,
            "chunks": chunks,
            "max_chunk": max_chunk,
            "counts": [[m, c, n] for (m, c), n in sorted(counts.items())],
        },
    )


def _call_analyze(analyzer: Any, path: str, engine: str, scheduler: str | None) -> Any:
    method = getattr(analyzer, "analyze", None)
    if method is None:
        raise ShapeError(
            "LogAnalyzer has no analyze(log_path, engine=..., scheduler=...) method; "
            "criteria 1, 2 and 4 call it (see the stage README)"
        )
    kwargs: dict[str, Any] = {"engine": engine}
    if scheduler is not None:
        kwargs["scheduler"] = scheduler
    try:
        inspect.signature(method).bind(path, **kwargs)
    except TypeError as exc:
        raise ShapeError(
            f"LogAnalyzer.analyze cannot be called as analyze(log_path, "
            f"{', '.join(f'{k}={v!r}' for k, v in kwargs.items())}): {exc}"
        ) from None
    except ValueError:  # no signature (a C callable): just call it
        pass
    return method(path, **kwargs)


def probe_analyze(
    ctx: GradeContext,
    path: str,
    engine: str,
    out: str,
    chunk_size: int = 10000,
    scheduler: str | None = None,
    cluster_pid: int | None = None,
) -> Measurement:
    """``analyze(path, engine=..., scheduler=...)``: its per-minute table (to ``out``), time, RSS."""
    module = ctx.load()
    if scheduler is not None:
        # Imported before the clock starts: a Dask user pays for these once, not per job.
        import dask
        import dask.bag
        import dask.dataframe
        import distributed  # noqa: F401

        os.environ["DASK_SCHEDULER_ADDRESS"] = scheduler
        dask.config.set({"scheduler-address": scheduler})
    where = f"LogAnalyzer.analyze(engine={engine!r})"
    me = psutil.Process()
    cpu_before = sum(me.cpu_times()[:2])
    started = time.perf_counter()
    try:
        with TreesSampler(os.getpid(), cluster_pid) as sampler:
            result = _call_analyze(module.LogAnalyzer(chunk_size), path, engine, scheduler)
            table = minute_table(result, where)
        seconds = time.perf_counter() - started
        own_cpu = sum(me.cpu_times()[:2]) - cpu_before
    except ShapeError as exc:
        return _shape_failure(exc)
    startup = float(getattr(getattr(result, "report", None), "startup_seconds", 0.0) or 0.0)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out)
    return Measurement(
        value=None,
        evidence=f"{len(table)} minute rows",
        details={
            **sampler.figures_mb(),
            "seconds": seconds,
            "own_cpu_s": own_cpu,
            "startup_seconds": startup,
            "errors_column": table.attrs.get("errors_column"),
            "table": out,
        },
    )


def probe_anomalies(ctx: GradeContext, path: str, cut_minute: int) -> Measurement:
    """``detect_anomalies`` on a Dask DataFrame of the code's own records; then on a prefix.

    The prefix (records before ``cut_minute``) shows whether a minute's verdict changes once
    later minutes exist: a live detector cannot see the future.
    """
    import dask.dataframe as dd
    import pandas as pd

    module = ctx.load()
    try:
        chunks = list(module.LogAnalyzer(50_000).process_logs_stream(path) or [])
        if not chunks:
            raise ShapeError("LogAnalyzer.process_logs_stream yielded no records")
        records = pd.concat(chunks, ignore_index=True)
        del chunks
        stamps = pd.to_datetime(records["timestamp"], utc=True)
        cut = pd.Timestamp(cut_minute, unit="s", tz="UTC")
        runs: dict[str, Any] = {}
        for label, frame in (("full", records), ("prefix", records[stamps < cut])):
            ddf = dd.from_pandas(frame.reset_index(drop=True), npartitions=8)
            started = time.perf_counter()
            flags = module.LogAnalyzer(50_000).detect_anomalies(ddf)
            rows = flag_rows(flags, "LogAnalyzer.detect_anomalies")
            runs[label] = {"flags": rows, "seconds": time.perf_counter() - started}
    except ShapeError as exc:
        return _shape_failure(exc)
    count = len(runs["full"]["flags"])
    return Measurement(value=None, evidence=f"{count} flags", details=runs)


def probe_shape_flags(ctx: GradeContext, logs: dict[str, str]) -> Measurement:
    """``detect_anomalies`` on each real-log shape (records from the code's own stream)."""
    import dask.dataframe as dd
    import pandas as pd

    module = ctx.load()
    out: dict[str, Any] = {}
    try:
        for name, path in logs.items():
            chunks = list(module.LogAnalyzer(50_000).process_logs_stream(path) or [])
            if not chunks:
                raise ShapeError(f"LogAnalyzer.process_logs_stream yielded no records for {name}")
            records = pd.concat(chunks, ignore_index=True)
            ddf = dd.from_pandas(records, npartitions=4)
            flags = module.LogAnalyzer(50_000).detect_anomalies(ddf)
            where = f"LogAnalyzer.detect_anomalies (log shape {name})"
            frame = as_pandas(flags, where)
            rows = flag_rows(frame, where)
            ends = flag_ends(frame, where)
            out[name] = [[m, k, e] for (m, k), e in zip(rows, ends, strict=True)]
    except ShapeError as exc:
        return _shape_failure(exc)
    return Measurement(value=None, evidence=f"{len(out)} shapes", details=out)


def probe_baseline(ctx: GradeContext, path: str) -> Measurement:
    """The naive pandas baseline on ``path`` (the anchor of criterion 2; no graded code)."""
    from stage2_log_analysis.baseline import analyze_naive

    started = time.perf_counter()
    table = analyze_naive(path)
    return Measurement(
        value=None,
        evidence="naive baseline",
        details={
            "seconds": time.perf_counter() - started,
            "requests": int(table["requests"].sum()),
        },
    )
