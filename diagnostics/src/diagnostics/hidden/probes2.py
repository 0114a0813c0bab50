"""Hidden tests of problem 2 (``process_large_log``): correctness on small tricky logs.

Each small log (:mod:`diagnostics.hidden.logs`) plants one difficulty and knows its truth;
the memory test on large logs is in :mod:`diagnostics.hidden.probes2_memory`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType

from diagnostics.hidden.candidate import CandidateFault, attribute, describe
from diagnostics.hidden.log_result import Row, result_rows, total_errors
from diagnostics.hidden.logs import LogCase, log_cases
from diagnostics.hidden.probes2_memory import probe_memory
from diagnostics.hidden.records import ProbeResult, SandboxSpec

__all__ = ["PROBES", "run"]

Probe = Callable[[ModuleType, Path, SandboxSpec], ProbeResult]
MEAN_TOLERANCE_MS = 0.006  # a mean rounded to two decimals is still exact enough


def _call(module: ModuleType, case: LogCase, folder: Path, chunk_size: int | None) -> object:
    """``process_large_log`` on one small log (default chunk size when ``chunk_size`` is None)."""
    path = str(case.write(folder))
    function = attribute(module, "process_large_log")
    try:
        return function(path) if chunk_size is None else function(path, chunk_size=chunk_size)
    except Exception as exc:
        raise CandidateFault(
            f"{_name(case, chunk_size)} {describe(exc)}; expected a DataFrame"
        ) from exc


def _name(case: LogCase, chunk_size: int | None) -> str:
    size = f", chunk_size={chunk_size}" if chunk_size is not None else ""
    return f"process_large_log('{case.name}.log'{size})"


def run(module: ModuleType, case: LogCase, folder: Path, chunk_size: int | None) -> list[Row]:
    """The rows ``process_large_log`` returned for one small log."""
    return result_rows(_call(module, case, folder, chunk_size), _name(case, chunk_size))


def _result(probe_id: str, problems: list[str], ok_text: str) -> ProbeResult:
    ok = not problems
    return ProbeResult(
        id=probe_id, passed=ok, evidence=ok_text if ok else "; ".join(problems), value=ok
    )


def probe_return_shape(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """The four columns, hours sorted and unique (the file's are not), zero rows without errors."""
    cases = log_cases(spec.seed)
    problems = []
    rows = run(module, cases["shape"], folder, None)
    hours = [r[0] for r in rows]
    want = len(cases["shape"].truth)
    call = "process_large_log('shape.log')"
    if hours != sorted(hours):
        problems.append(
            f"{call}: rows are in the order {_fmt_hours(hours)}; expected sorted by hour "
            "(the file's hours are out of order)"
        )
    if len(set(hours)) != len(hours):
        problems.append(f"{call}: an hour appears in more than one row ({_fmt_hours(hours)})")
    if len(rows) != want:
        problems.append(f"{call}: {len(rows)} rows; expected {want}, one per hour with errors")
    empty = run(module, cases["no_errors"], folder, None)
    if empty:
        problems.append(
            f"process_large_log('no_errors.log') gave {len(empty)} row(s); expected 0 rows "
            "with the same columns"
        )
    return _result(
        "p2.return_shape", problems, "DataFrame with the 4 columns, one sorted row per hour"
    )


def probe_error_filter(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Only the level field decides; 'ERROR' inside messages and service names must not count."""
    case = log_cases(spec.seed)["traps"]
    total = total_errors(_call(module, case, folder, None), "process_large_log('traps.log')")
    problems = []
    if total != case.total:
        mentions = sum("ERROR" in line for line in case.lines)
        problems.append(
            f"process_large_log('traps.log') counted {total} errors; expected {case.total}, the "
            f"lines whose level field is ERROR ({mentions} lines contain the text ERROR)"
        )
    return _result("p2.error_filter", problems, f"{total} ERROR-level lines counted, as planted")


def probe_hourly_buckets(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Hour labels and counts around hh:00:00, hh:59:59 and midnight (the sandbox runs in KST)."""
    case = log_cases(spec.seed)["boundaries"]
    got = [(r[0], r[1]) for r in run(module, case, folder, None)]
    want = [(r[0], r[1]) for r in case.rows()]
    problems = []
    if got != want:
        problems.append(
            f"process_large_log('boundaries.log') gave hour:count {_fmt(got)}; expected "
            f"{_fmt(want)} (each timestamp floored to its UTC hour)"
        )
    return _result("p2.hourly_buckets", problems, f"{len(want)} hour buckets labelled and counted")


def probe_latency_stats(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Exact mean/max per hour when every hour spans several 7-line chunks."""
    case = log_cases(spec.seed)["multi_chunk"]
    got = run(module, case, folder, 7)
    want = case.rows()
    call = "process_large_log('multi_chunk.log', chunk_size=7)"
    problems = []
    if len(got) != len(want):
        problems.append(f"{call} gave {len(got)} rows; expected {len(want)} hours")
    else:
        for g, w in zip(got, want, strict=True):
            mean_ok = math.isclose(g[2], w[2], rel_tol=1e-9, abs_tol=MEAN_TOLERANCE_MS)
            if not mean_ok or g[3] != w[3]:
                problems.append(
                    f"{call}: hour {w[0]:%m-%d %H}h has mean {g[2]:.3f} ms / max {g[3]:g} ms; "
                    f"expected {w[2]:.3f} / {w[3]} (sums and counts merged across chunks)"
                )
                break
    return _result("p2.latency_stats", problems, f"mean and max exact for {len(want)} hours")


def probe_chunk_boundaries(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """chunk_size 1, 7 and larger than the file, also on a file whose hours are out of order."""
    cases = log_cases(spec.seed)
    problems = []
    runs = [("multi_chunk", size) for size in (1, 7, 1_000_000)] + [("shape", 7)]
    for name, chunk_size in runs:
        case = cases[name]
        want = [r[1] for r in case.rows()]
        rows = sorted(run(module, case, folder, chunk_size))  # order is p2.return_shape's
        hours = [r[0] for r in rows]
        call = f"process_large_log('{name}.log', chunk_size={chunk_size})"
        if len(set(hours)) != len(hours):
            problems.append(f"{call}: an hour appears in several rows ({_fmt_hours(hours)})")
        elif [r[1] for r in rows] != want:
            problems.append(f"{call}: hourly counts {[r[1] for r in rows]}; expected {want}")
    return _result(
        "p2.chunk_boundaries",
        problems,
        "same result with chunk_size 1, 7 and 10^6, hours in any order",
    )


def probe_malformed_lines(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Blank, truncated, impossible-timestamp and bad-latency lines are skipped."""
    case = log_cases(spec.seed)["malformed"]
    got = [(r[0], r[1]) for r in run(module, case, folder, None)]
    want = [(r[0], r[1]) for r in case.rows()]
    problems = []
    if [c for _, c in got] != [c for _, c in want]:  # counts only: labels are hourly_buckets'
        problems.append(
            f"process_large_log('malformed.log') gave hour:count {_fmt(got)}; expected "
            f"{_fmt(want)} (11 malformed lines skipped, none counted)"
        )
    return _result("p2.malformed_lines", problems, "11 malformed lines skipped, counts right")


def _fmt(rows: list[tuple[datetime, int]]) -> str:
    return ", ".join(f"{h:%m-%d %H}h:{c}" for h, c in rows)


def _fmt_hours(hours: list[datetime]) -> str:
    return ", ".join(f"{h:%m-%d %H}h" for h in hours[:8]) + (" …" if len(hours) > 8 else "")


PROBES: list[tuple[str, Probe]] = [
    ("p2.return_shape", probe_return_shape),
    ("p2.error_filter", probe_error_filter),
    ("p2.hourly_buckets", probe_hourly_buckets),
    ("p2.latency_stats", probe_latency_stats),
    ("p2.chunk_boundaries", probe_chunk_boundaries),
    ("p2.malformed_lines", probe_malformed_lines),
    ("p2.memory", probe_memory),
]
