"""Criterion 2, Dask: a right per-minute table, work done on the grader's cluster (its task
stream), and the time against the naive pandas baseline (inconclusive where a shortened run or
a small machine cannot judge it)."""

from __future__ import annotations

import os

import pandas as pd

from gradekit.result import Measurement
from stage2_grading.counts import check_minute_table
from stage2_grading.failed_runs import failed_run
from stage2_grading.session import DaskRun, Session
from stage2_log_analysis.generator import parse_size

__all__ = ["measure_dask"]

BASELINE_TEXT = (
    "the naive pandas baseline (pd.read_csv chunks of 100k lines + Series.str.extract + "
    "crosstab per minute, one process)"
)
#: Below this size a file may fit in one partition: the work cannot be judged as split.
SPLIT_MIN_SIZE = parse_size("256MB")


def _dask_behaviour(s: Session, run: DaskRun) -> str | None:
    """Why the Dask run does not count as work done on the cluster, or None when it does."""
    m, tasks = run.measurement, run.tasks
    seconds = float(m.details["seconds"])
    if tasks is None or tasks.tasks == 0:
        return (
            f"no task ran on the grader's Dask cluster during analyze(engine='dask', "
            f"scheduler=...) ({seconds:.1f} s): the work was done without Dask, or on a cluster "
            "of your own. Connect with distributed.Client(scheduler) and compute there"
        )
    if s.size < SPLIT_MIN_SIZE:
        return None  # fixed costs dominate a small file: where the work ran cannot be told
    if run.workers > 1 and tasks.busiest_share > 0.9:
        return (
            f"one worker did {100 * tasks.busiest_share:.0f}% of the {tasks.compute_s:.1f} s of "
            f"task time ({tasks.tasks} tasks): the work is not split across the {run.workers} "
            "workers (one partition? compute on one big task?)"
        )
    own = float(m.details.get("own_cpu_s", 0.0))
    share = tasks.compute_s / (tasks.compute_s + own) if tasks.compute_s + own > 0 else 0.0
    if share < 0.5:
        return (
            f"the workers computed {tasks.compute_s:.1f} s while your own process used "
            f"{own:.1f} s of CPU in a {seconds:.1f} s run ({tasks.tasks} tasks): most of the "
            "work ran in your process, outside Dask (parsing before handing the data to Dask, "
            "or .compute() early?)"
        )
    return None


def measure_dask(s: Session) -> Measurement:
    big = s.log("big")
    run = s.dask("big")
    m = run.measurement
    if m.error:
        return failed_run("LogAnalyzer.analyze(engine='dask', scheduler=...)", m)
    table = pd.read_parquet(m.details["table"])
    counts = check_minute_table(table, big.truth)
    if not counts.ok:
        return Measurement(
            value=None,
            passed=False,
            evidence="the Dask run's per-minute table is wrong (a fast wrong answer does not "
            f"count): {counts.exact}/{counts.minutes} minutes exact; " + "; ".join(counts.problems),
        )
    behaviour = _dask_behaviour(s, run)
    tasks = run.tasks
    details: dict[str, object] = {
        "dask_s": m.details["seconds"],
        "tasks": tasks.tasks if tasks else 0,
        "compute_s_by_worker": tasks.compute_s_by_worker if tasks else {},
    }
    if behaviour:
        return Measurement(value=None, passed=False, evidence=behaviour, details=details)
    base = s.baseline()
    if base.error:
        raise RuntimeError(f"the naive baseline failed: {base.error}")
    t, tb = float(m.details["seconds"]), float(base.details["seconds"])
    ratio = 100.0 * t / tb
    assert tasks is not None
    busy = tasks.compute_s / (run.workers * t)
    details |= {"baseline_s": tb, "ratio_pct": ratio, "worker_utilisation": busy}
    evidence = (
        f"analyze(engine='dask') on the grader's {run.workers}-worker cluster: {t:.1f} s "
        f"({tasks.tasks} tasks, workers busy {100 * busy:.0f}% of the run, per-minute counts "
        f"exact) vs {BASELINE_TEXT}: {tb:.1f} s on the same {s.size_text} file ({big.gb:.2f} GB)"
    )
    if ratio <= 50.0:
        return Measurement(value=round(ratio, 1), passed=True, evidence=evidence, details=details)
    cores = os.cpu_count() or 1
    why = []
    if s.shortened:
        why.append(
            f"at {s.size_text} the fixed costs of a Dask run (connecting, shipping the "
            "functions, each worker's first imports) weigh far more than at 10GB"
        )
    if cores < 2 * run.workers:
        why.append(
            f"this machine has {cores} cores for {run.workers} workers and your process: a 50% "
            "cut then needs perfect scaling and code at least as fast per core as the baseline"
        )
    if why:
        return Measurement(
            value=round(ratio, 1),
            inconclusive="; ".join(why)
            + f" — your run used Dask correctly; grade at --opt size=10GB on ≥ {2 * run.workers} cores to judge the time",
            evidence=evidence,
            details=details,
        )
    return Measurement(value=round(ratio, 1), passed=False, evidence=evidence, details=details)
