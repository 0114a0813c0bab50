"""Problem 2's memory test: does memory grow with the file?

``process_large_log`` runs on a log and on one four times larger (half their lines are
errors), each time in a fresh ``fork`` of the sandbox so neither run inherits the other's
freed memory. The peak RSS growth of that process tree during the call is sampled every
50 ms (plus ``ru_maxrss`` for spikes between samples). Code that keeps only per-hour
aggregates grows by the same working set on both; code that keeps the file, its lines, its
error lines or one number per error grows by megabytes more on the larger file.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil

from diagnostics.hidden.candidate import attribute, call, classify, describe
from diagnostics.hidden.lifeline import die_with_parent
from diagnostics.hidden.log_result import total_errors
from diagnostics.hidden.records import LogFile, ProbeResult, SandboxSpec, Source
from opskit.memory import TreeRSSSampler, tree_rss_bytes

__all__ = ["measure_in_fork", "probe_memory"]


def probe_memory(module: ModuleType, folder: Path, spec: SandboxSpec) -> ProbeResult:
    """Growth on the large log minus growth on the small one, against ``memory_slack_mb``."""
    if len(spec.memory_logs) != 2:
        raise ValueError("the sandbox spec must name a small and a large log for p2.memory")
    small, large = spec.memory_logs
    runs = [measure_in_fork(module, log) for log in (small, large)]
    for log, run in zip((small, large), runs, strict=True):
        if "error" in run:
            return ProbeResult(
                id="p2.memory",
                passed=False,
                evidence=f"process_large_log('{Path(log.path).name}') {run['error']}",
                value=False,
                source=run.get("source", "implementation"),
            )
    problems = []
    for log, run in zip((small, large), runs, strict=True):
        if run["total"] != log.errors:
            problems.append(
                f"process_large_log('{Path(log.path).name}') counted {run['total']} errors; "
                f"expected {log.errors}"
            )
    grown_small, grown_large = runs[0]["grown_mb"], runs[1]["grown_mb"]
    extra = grown_large - grown_small
    size_small, size_large = small.size_bytes / 2**20, large.size_bytes / 2**20
    more_errors = large.errors - small.errors
    measured = (
        f"process_large_log grew by {grown_small:.1f} MB on a {size_small:.0f} MB log and by "
        f"{grown_large:.1f} MB on a {size_large:.0f} MB log"
    )
    if extra > spec.memory_slack_mb:
        per_error = extra * 2**20 / max(more_errors, 1)
        problems.append(
            f"{measured}: {extra:.1f} MB more for {more_errors:,} more error lines "
            f"(~{per_error:.0f} bytes each); expected the same growth within "
            f"{spec.memory_slack_mb:g} MB (memory must not grow with the file)"
        )
    ok = not problems
    evidence = (
        f"{measured} (same within {spec.memory_slack_mb:g} MB)" if ok else "; ".join(problems)
    )
    return ProbeResult(id="p2.memory", passed=ok, evidence=evidence, value=round(extra, 1))


def measure_in_fork(module: ModuleType, log: LogFile) -> dict[str, Any]:
    """Run ``process_large_log(log)`` in a forked child; its growth, total and duration.

    Returns ``{"error": text, "source": ...}`` when the call raised or ended the process.
    """
    function = attribute(module, "process_large_log")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # a child must not print the parent's buffered output again
    read_fd, write_fd = os.pipe()
    sandbox_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: measure, send the figures back, never return into the sandbox
        die_with_parent(sandbox_pid)
        os.close(read_fd)
        payload: dict[str, Any]
        try:
            payload = _measure(function, log)
        except BaseException as exc:
            source: Source = classify(exc)
            payload = {"error": describe(exc), "source": source}
        with os.fdopen(write_fd, "w", encoding="utf-8") as pipe:
            json.dump(payload, pipe)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, encoding="utf-8") as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not text:
        code = os.waitstatus_to_exitcode(status)
        return {"error": f"ended the process (exit code {code}) before returning"}
    result: dict[str, Any] = json.loads(text)
    return result


def _measure(function: Any, log: LogFile) -> dict[str, Any]:
    gc.collect()
    me = psutil.Process()
    baseline = tree_rss_bytes(me)
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    with TreeRSSSampler(me.pid, interval_s=0.05) as sampler:
        result = call("", function, log.path)
    seconds = time.perf_counter() - started
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # ru_maxrss catches a spike between two samples, but only if it raised the lifetime peak
    peak = max(sampler.peak_bytes, maxrss_after if maxrss_after > maxrss_before else 0)
    return {
        "grown_mb": max(0, peak - baseline) / 2**20,
        "total": total_errors(result, f"process_large_log('{Path(log.path).name}')"),
        "seconds": round(seconds, 2),
    }
