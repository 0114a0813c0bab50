"""Hidden tests of problem 2 (process_large_log): correctness on tricky logs, then memory."""

from __future__ import annotations

import gc
import math
import os
import resource
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pandas as pd
import psutil

from diagnostics.hidden.logs import LogCase, log_cases
from diagnostics.hidden.records import ProbeResult, SandboxSpec
from gradekit import TreeRSSSampler, tree_rss_bytes

__all__ = ["PROBES", "Row", "result_rows"]

Probe = Callable[[ModuleType, Path, SandboxSpec], ProbeResult]
Row = tuple[datetime, int, float, float]
COLUMNS = ("hour", "error_count", "mean_latency_ms", "max_latency_ms")


def result_rows(result: object) -> list[Row]:
    """The candidate's DataFrame as (hour, count, mean, max) rows, in the order returned.

    Lenient on form (``hour`` may be the index, tz-aware or naive UTC, or text), strict on
    content: the four columns must exist.
    """
    if not isinstance(result, pd.DataFrame):
        raise TypeError(f"returned {type(result).__name__}, expected a pandas DataFrame")
    frame = result
    if "hour" not in frame.columns and frame.index.name == "hour":
        frame = frame.reset_index()
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise TypeError(f"columns {missing} missing; got {list(frame.columns)}")
    hours = pd.to_datetime(frame["hour"], utc=True).dt.tz_convert(None)
    return [
        (h.to_pydatetime(), int(c), float(m), float(x))
        for h, c, m, x in zip(
            hours,
            frame["error_count"],
            frame["mean_latency_ms"],
            frame["max_latency_ms"],
            strict=True,
        )
    ]


def _run(module: ModuleType, case: LogCase, folder: Path, chunk_size: int | None) -> list[Row]:
    path = str(case.write(folder))
    if chunk_size is None:
        return result_rows(module.process_large_log(path))
    return result_rows(module.process_large_log(path, chunk_size=chunk_size))


def _result(probe_id: str, problems: list[str], ok_text: str) -> ProbeResult:
    ok = not problems
    return ProbeResult(
        id=probe_id, passed=ok, evidence=ok_text if ok else "; ".join(problems), value=ok
    )


def probe_return_shape(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """The four columns, sorted unique hours, and zero rows for a file without errors."""
    cases = log_cases(spec.seed)
    problems = []
    rows = _run(module, cases["shape"], folder, None)
    hours = [r[0] for r in rows]
    if hours != sorted(hours):
        problems.append("rows are not sorted by hour")
    if len(set(hours)) != len(hours):
        problems.append("an hour appears in more than one row")
    if len(rows) != len(cases["shape"].truth):
        problems.append(f"{len(rows)} rows for {len(cases['shape'].truth)} hours with errors")
    empty = _run(module, cases["no_errors"], folder, None)
    if empty:
        problems.append(f"a log without ERROR lines gave {len(empty)} row(s), expected 0")
    return _result("p2.return_shape", problems, "DataFrame with the 4 columns, one row per hour")


def probe_error_filter(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Only the level field decides; 'ERROR' inside messages and service names must not count."""
    case = log_cases(spec.seed)["traps"]
    total = sum(r[1] for r in _run(module, case, folder, None))
    problems = [] if total == case.total else [f"counted {total} errors, expected {case.total}"]
    return _result("p2.error_filter", problems, f"{total} ERROR lines counted, as planted")


def probe_hourly_buckets(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Hour labels and counts around hh:00:00, hh:59:59 and midnight."""
    case = log_cases(spec.seed)["boundaries"]
    got = [(r[0], r[1]) for r in _run(module, case, folder, None)]
    want = [(r[0], r[1]) for r in case.rows()]
    problems = [] if got == want else [f"got {_fmt(got)}, expected {_fmt(want)}"]
    return _result("p2.hourly_buckets", problems, f"{len(want)} hour buckets labelled and counted")


def probe_latency_stats(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Exact mean/max per hour when every hour spans several 7-line chunks."""
    case = log_cases(spec.seed)["multi_chunk"]
    got = _run(module, case, folder, 7)
    want = case.rows()
    problems = []
    if len(got) != len(want):
        problems.append(f"{len(got)} rows for {len(want)} hours (chunk_size=7)")
    else:
        for n, (g, w) in enumerate(zip(got, want, strict=True), start=1):
            if not math.isclose(g[2], w[2], rel_tol=1e-6) or g[3] != w[3]:
                problems.append(
                    f"hour #{n}: mean {g[2]:.3f}/max {g[3]:g}, expected {w[2]:.3f}/{w[3]}"
                )
                break
    return _result("p2.latency_stats", problems, f"mean and max exact for {len(want)} hours")


def probe_chunk_boundaries(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """chunk_size=1 and 7: one row per hour, counts as planted."""
    case = log_cases(spec.seed)["multi_chunk"]
    want = [r[1] for r in case.rows()]
    problems = []
    for chunk_size in (1, 7):
        rows = _run(module, case, folder, chunk_size)
        hours = [r[0] for r in rows]
        if len(set(hours)) != len(hours):
            problems.append(f"chunk_size={chunk_size}: an hour appears in several rows")
        elif [r[1] for r in rows] != want:
            problems.append(f"chunk_size={chunk_size}: counts {[r[1] for r in rows]} != {want}")
    return _result("p2.chunk_boundaries", problems, "same result with chunk_size 1 and 7")


def probe_malformed_lines(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Blank, truncated, impossible-timestamp and bad-latency lines are skipped."""
    case = log_cases(spec.seed)["malformed"]
    got = [r[1] for r in _run(module, case, folder, None)]
    want = [r[1] for r in case.rows()]
    problems = [] if got == want else [f"counts {got}, expected {want} (malformed lines counted?)"]
    return _result("p2.malformed_lines", problems, "11 malformed lines skipped, counts right")


def probe_memory(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Peak RSS increase of the process tree during the call, against max(size x ratio, floor)."""
    if spec.large_file is None or spec.large_file_errors is None:
        raise ValueError("the sandbox spec names no large file for the memory probe")
    size = os.path.getsize(spec.large_file)
    limit_mb = max(size * spec.memory_ratio / 2**20, spec.memory_floor_mb)
    gc.collect()
    baseline = tree_rss_bytes(psutil.Process())
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with TreeRSSSampler(os.getpid(), interval_s=0.05) as sampler:
        result = module.process_large_log(spec.large_file)
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # ru_maxrss catches a spike between two samples, but only if it raised the lifetime peak
    peak = max(sampler.peak_bytes, maxrss_after if maxrss_after > maxrss_before else 0)
    grown_mb = max(0, peak - baseline) / 2**20
    total = sum(r[1] for r in result_rows(result))
    problems = []
    if grown_mb > limit_mb:
        problems.append(
            f"memory grew by {grown_mb:.0f} MB on a {size / 2**20:.0f} MB file "
            f"(limit {limit_mb:.0f} MB)"
        )
    if total != spec.large_file_errors:
        problems.append(f"counted {total} errors, expected {spec.large_file_errors}")
    ok_text = f"grew {grown_mb:.1f} MB on a {size / 2**20:.0f} MB file (limit {limit_mb:.0f} MB)"
    result_probe = _result("p2.memory", problems, ok_text)
    return result_probe.model_copy(update={"value": round(grown_mb, 1)})


def _fmt(rows: list[tuple[datetime, int]]) -> str:
    return ", ".join(f"{h:%m-%d %H}h:{c}" for h, c in rows)


PROBES: list[tuple[str, Probe]] = [
    ("p2.return_shape", probe_return_shape),
    ("p2.error_filter", probe_error_filter),
    ("p2.hourly_buckets", probe_hourly_buckets),
    ("p2.latency_stats", probe_latency_stats),
    ("p2.chunk_boundaries", probe_chunk_boundaries),
    ("p2.malformed_lines", probe_malformed_lines),
    ("p2.memory", probe_memory),
]
