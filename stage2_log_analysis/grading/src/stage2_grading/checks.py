"""The four measure functions: each reads its probes' raw figures and gives the verdict."""

from __future__ import annotations

import os

import pandas as pd

from gradekit.result import ErrorSource, Measurement
from stage2_grading.counts import CountCheck, check_minute_table, check_stream_counts
from stage2_grading.criteria import MEMORY_LIMIT_MB, TARGET_SIZE
from stage2_grading.flags import FlagScore, causality_diff, score_flags
from stage2_grading.session import DaskRun, Session
from stage2_log_analysis.generator import GroundTruth, parse_size
from stage2_log_analysis.scoring import score_shape

__all__ = ["measure_accuracy", "measure_dask", "measure_memory", "measure_streaming"]

BASELINE_TEXT = (
    "the naive pandas baseline (pd.read_csv chunks of 100k lines + Series.str.extract + "
    "crosstab per minute, one process)"
)
#: Growth of peak RSS between the quarter and the full file that is still noise (MB).
GROWTH_NOISE_MB = 48.0
#: Below this size a Dask run's partitions (often 64 MB) can make worker memory look like growth.
WORKER_GROWTH_MIN_SIZE = parse_size("1GB")
#: Below this size a file may fit in one partition: the work cannot be judged as split.
SPLIT_MIN_SIZE = parse_size("256MB")


def _failed_run(what: str, m: Measurement) -> Measurement:
    return Measurement.failed(
        f"{what} failed: {m.error or m.evidence}",
        source=m.error_source or ErrorSource.IMPLEMENTATION,
        details=m.details,
    )


# ---- criterion 1: memory ------------------------------------------------------------------


def _projected(big: float, small: float, big_bytes: int, small_bytes: int) -> tuple[float, float]:
    """(growth in MB per GB of log beyond noise, peak projected to 10GB) from two runs."""
    target = parse_size(TARGET_SIZE)
    growth = max(0.0, big - small - GROWTH_NOISE_MB)
    per_gb = growth / ((big_bytes - small_bytes) / 1e9) if big_bytes > small_bytes else 0.0
    return per_gb, big + per_gb * max(0, target - big_bytes) / 1e9


def measure_memory(s: Session) -> Measurement:
    big = s.log("big")
    stream = s.stream("big")
    if stream.error:
        return _failed_run("LogAnalyzer.process_logs_stream", stream)
    dask = s.dask("big")
    parts = [
        f"{s.size_text} log ({big.gb:.2f} GB): process_logs_stream(chunk_size={s.chunk_size}) "
        f"peak {stream.details['own_peak_mb']:,.0f} MB"
    ]
    peaks = {"stream": stream.details["own_peak_mb"]}
    unmeasured = ""
    if dask.measurement.error:
        unmeasured = f"analyze(engine='dask') did not finish ({dask.measurement.error[:300]})"
        parts.append(unmeasured)
    else:
        d = dask.measurement.details
        peaks["dask"] = d["peak_mb"]
        parts.append(
            f"analyze(engine='dask') peak {d['peak_mb']:,.0f} MB (your process "
            f"{d['own_peak_mb']:,.0f} MB + the {s.workers}-worker cluster {d['cluster_peak_mb']:,.0f} MB)"
        )
    span_log, span = s.analyze_long_span()
    if span.error:
        parts.append(f"12-month log not measured ({span.error[:200]})")
    else:
        peaks["long_span"] = span.details["peak_mb"]
        parts.append(
            f"analyze(engine='local') on a 12-month log ({span_log.path.stat().st_size / 1e6:.0f}"
            f" MB, one minute an hour) peak {span.details['peak_mb']:,.0f} MB"
        )
    peak = max(peaks.values())
    details: dict[str, object] = {"peaks_mb": peaks, "file_bytes": big.path.stat().st_size}
    text = "; ".join(parts) + " (psutil every 50 ms, whole process trees)"
    if peak > MEMORY_LIMIT_MB:
        return Measurement(value=peak, passed=False, evidence=text, details=details)
    if unmeasured:
        return Measurement(
            value=peak,
            inconclusive="the Dask run gave no memory figure (its failure is judged by the Dask "
            "criterion); the stream and the 12-month log were within the limit",
            evidence=text,
            details=details,
        )
    if not s.shortened:
        return Measurement(value=peak, passed=True, evidence=text, details=details)
    return _memory_growth(s, peak, text, details)


def _memory_growth(s: Session, peak: float, text: str, details: dict[str, object]) -> Measurement:
    """Below 10GB: run at a quarter of the size too, and project the growth to 10GB."""
    big, quarter = s.log("big"), s.log("quarter")
    bb, qb = big.path.stat().st_size, quarter.path.stat().st_size
    q_stream = s.stream("quarter")
    findings: list[tuple[str, float, float, bool]] = []  # (what, per GB, projected, conclusive)
    if not q_stream.error:
        per_gb, proj = _projected(
            s.stream("big").details["own_peak_mb"], q_stream.details["own_peak_mb"], bb, qb
        )
        findings.append(("process_logs_stream", per_gb, proj, True))
    d_big = s.dask("big").measurement
    if not d_big.error:
        d_q = s.dask("quarter").measurement
        if not d_q.error:
            for key, what, conclusive in (
                ("own_peak_mb", "analyze(engine='dask') in your process", True),
                (
                    "cluster_peak_mb",
                    "analyze(engine='dask') on the workers",
                    s.size >= WORKER_GROWTH_MIN_SIZE,
                ),
            ):
                per_gb, proj = _projected(d_big.details[key], d_q.details[key], bb, qb)
                findings.append((what, per_gb, proj, conclusive))
    details["growth"] = [
        {"what": w, "mb_per_gb": round(g, 1), "projected_10gb_mb": round(p, 1)}
        for w, g, p, _ in findings
    ]
    over = [(w, g, p, c) for w, g, p, c in findings if p > MEMORY_LIMIT_MB]
    growth_text = "; ".join(
        f"{w}: +{g:,.0f} MB per GB of log → ~{p:,.0f} MB at {TARGET_SIZE}" for w, g, p, _ in over
    )
    base = (
        f"{text}. Measured again at a quarter of the size ({qb / 1e9:.2f} GB) to see whether "
        "memory grows with the file"
    )
    if any(c for *_, c in over):
        return Measurement(
            value=peak,
            passed=False,
            evidence=f"{base}: it does — {growth_text}; memory must stay bounded by the chunk, "
            "not the file (read in chunks, keep counts, never the lines or records)",
            details=details,
        )
    if over:
        return Measurement(
            value=peak,
            inconclusive=f"worker memory grew from the quarter to the full {s.size_text} file "
            f"({growth_text}); below 1GB a file can be smaller than your partitions, so this "
            "cannot tell growth from partition size — grade with --opt size=1GB or more",
            evidence=base,
            details=details,
        )
    return Measurement(
        value=peak,
        passed=True,
        evidence=f"{base}: it does not (growth within {GROWTH_NOISE_MB:.0f} MB of noise; "
        f"projected to {TARGET_SIZE}: ≤ {max((p for _, _, p, _ in findings), default=peak):,.0f} MB)",
        details=details,
    )


# ---- criterion 2: Dask speed-up -------------------------------------------------------------


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
        return _failed_run("LogAnalyzer.analyze(engine='dask', scheduler=...)", m)
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


# ---- criterion 3: real-time streaming -----------------------------------------------------


def measure_streaming(s: Session) -> Measurement:
    m = s.follow()
    if m.error:
        return _failed_run("LogAnalyzer.follow", m)
    d = m.details
    written = {int(k): int(v) for k, v in d["written"].items()}
    emitted = {int(k): (int(v[0]), float(v[1])) for k, v in d["emitted"].items()}
    repeats = {int(k): int(v) for k, v in d["repeats"].items()}
    rotated = d["rotated_minute"]
    problems: list[str] = []
    strays = sorted(set(emitted) - set(written))
    if strays:
        offs = sorted({(m - min(written)) // 60 for m in strays})[:3]
        problems.append(
            f"{len(strays)} emitted minutes were never written (offsets from the first written "
            f"minute, in minutes: {offs}): minutes keyed in local time instead of UTC?"
        )
    if repeats:
        mm, n = next(iter(repeats.items()))
        problems.append(
            f"{len(repeats)} minutes emitted more than once (e.g. {mm}: {n + 1} times): a minute "
            "must be emitted once, when it has closed"
        )
    checked = {mm: v for mm, v in emitted.items() if mm in written}
    wrong = {mm: (n, written[mm]) for mm, (n, _) in checked.items() if n != written[mm]}
    if wrong:
        sample = [f"got {n}, written {w}" for n, w in list(wrong.values())[:3]]
        problems.append(
            f"counts wrong for {len(wrong)} of {len(checked)} minutes ({'; '.join(sample)})"
        )
    latencies = {mm: at - (mm + 60) for mm, (_, at) in checked.items()}
    early = [mm for mm, lat in latencies.items() if lat < 0]
    if early:
        problems.append(
            f"{len(early)} minutes emitted before they ended (an open minute is not a result)"
        )
    if d.get("ended"):
        problems.append(d["ended"])
    if rotated is None or rotated not in emitted:
        problems.append(
            f"no closed minute across the log's rotation within {d['timeout_s']:.0f} s "
            f"(minutes emitted: {len(emitted)}; rotated: {'yes' if rotated else 'no'}): "
            "follow must close minutes as time passes and keep reading the new file"
        )
    worst = max(latencies.values()) if latencies else None
    lat_text = (
        f"{min(latencies.values()):.2f}–{worst:.2f} s after they ended"
        if latencies
        else "none emitted"
    )
    evidence = (
        f"{len(written)} minutes written live (wall clock, +0900), the log rotated once; "
        f"{len(checked)} closed minutes came back {lat_text}"
    )
    details = {"latencies_s": list(latencies.values()), "minutes": len(checked)}
    if problems:
        return Measurement(
            value=round(worst, 2) if worst is not None else None,
            passed=False,
            evidence=evidence + "; " + "; ".join(problems),
            details=details,
        )
    assert worst is not None
    return Measurement(value=round(worst, 2), evidence=evidence + "; counts exact", details=details)


# ---- criterion 4: accuracy ----------------------------------------------------------------


def measure_accuracy(s: Session) -> Measurement:
    log = s.log("accuracy")
    stream = s.stream("accuracy")
    if stream.error:
        return _failed_run("LogAnalyzer.process_logs_stream", stream)
    rec = check_stream_counts(stream.details["counts"], log.truth)
    problems: list[str] = []
    crashed: list[Measurement] = []
    local = s.analyze_local("accuracy")
    table = CountCheck(minutes=len(log.truth.minutes["minute"]), exact=0)
    if local.error:
        crashed.append(local)
        problems.append(f"analyze(engine='local') failed: {local.error}")
    else:
        table = check_minute_table(pd.read_parquet(local.details["table"]), log.truth)
    flags_run, cut = s.anomalies()
    score = FlagScore(
        incidents=len(log.truth.incidents), found=0, minutes=0, flagged_minutes=0, false_minutes=0
    )
    future: list[str] = []
    if flags_run.error:
        crashed.append(flags_run)
        problems.append(f"detect_anomalies failed: {flags_run.error}")
    else:
        score = score_flags(flags_run.details["full"]["flags"], log.truth)
        future = causality_diff(
            flags_run.details["full"]["flags"], flags_run.details["prefix"]["flags"], cut
        )
    if not rec.ok:
        problems.append(
            f"records from process_logs_stream: {rec.exact}/{rec.minutes} minutes exact — "
            + "; ".join(rec.problems)
        )
    if not table.ok:
        problems.append(
            f"analyze(engine='local') per-minute table: {table.exact}/{table.minutes} minutes "
            "exact — " + "; ".join(table.problems)
        )
    if score.recall < 0.95 and not flags_run.error:
        problems.append(f"incidents missed: {score.incidents - score.found} (e.g. {score.missed})")
    if score.false_minutes > score.allowed_false:
        problems.append(
            f"{score.false_minutes} minutes flagged outside every incident "
            f"({score.false_per_10k:.0f} per 10,000 minutes; at most 3 allowed, i.e. "
            f"{score.allowed_false} on this log), e.g. {score.false_examples}"
        )
    if future:
        problems.append(
            f"flags of the minutes before the cut change when later minutes are added "
            f"({len(future)} differ, e.g. {future[:2]}): the detector uses the future — a "
            "minute's baseline may only use the minutes before it"
        )
    shape_texts: list[str] = []
    if s.shapes:
        run = s.shape_flags()
        if run.error:
            crashed.append(run)
            problems.append(f"detect_anomalies on the real-log shapes failed: {run.error}")
        for name in s.shapes if not run.error else []:
            passed, text = _judge_shape(run.details[name], s.shape_log(name).truth)
            shape_texts.append(text)
            if not passed:
                problems.append(f"on real traffic: {text}")
    value = 100 * min(rec.fraction, table.fraction, score.recall)
    evidence = (
        f"{log.path.stat().st_size / 1e6:.0f} MB log ({log.truth.malformed_lines} malformed "
        f"lines to skip, lines with non-UTF-8 bytes to keep): records exact in {rec.exact}/"
        f"{rec.minutes} minutes, analyze's table in {table.exact}/{table.minutes}; anomalies: "
        f"{score.found}/{score.incidents} incidents found, {score.flagged_minutes} minutes "
        f"flagged, {score.false_minutes} of them false"
    )
    if shape_texts and not any(t in " ".join(problems) for t in shape_texts):
        evidence += f"; real-log shapes ({len(shape_texts)}) all within the paging bar"
    return Measurement(
        value=round(value, 2),
        passed=not problems,
        evidence=evidence + ("; " + "; ".join(problems) if problems else ""),
        error=crashed[0].error if crashed else None,
        error_source=crashed[0].error_source if crashed else None,
        details={
            "records_exact": rec.fraction,
            "table_exact": table.fraction,
            "recall": score.recall,
            "false_minutes": score.false_minutes,
            "false_per_10k": score.false_per_10k,
            "future_differences": len(future),
        },
    )


def _judge_shape(rows: list[list[object]], truth: GroundTruth) -> tuple[bool, str]:
    """Issue 13's paging bar on one real-log shape, plus false flags counted by minute."""
    stamps = [r[0] for r in rows]
    frame = pd.DataFrame(
        {
            "minute": pd.to_datetime(pd.Series(stamps, dtype="float64"), unit="s", utc=True),
            "kind": pd.Series([str(r[1]) for r in rows], dtype="object"),
            "end": pd.to_datetime(
                pd.Series([r[2] for r in rows], dtype="float64"), unit="s", utc=True
            ),
            "score": 0.0,
        }
    )
    bar = score_shape(frame, truth)
    by_minute = score_flags([(r[0], r[1]) for r in rows], truth)
    passed = bar.passed and by_minute.false_minutes <= by_minute.allowed_false
    text = bar.evidence
    if by_minute.false_minutes > by_minute.allowed_false:
        text += (
            f"; {by_minute.false_minutes} flagged minutes outside every incident "
            f"(allowed {by_minute.allowed_false}), e.g. {by_minute.false_examples}"
        )
    return passed, text
