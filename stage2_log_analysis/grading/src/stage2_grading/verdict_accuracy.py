"""Criterion 4, accuracy: the records' and analyze's per-minute counts against the truth, the
anomaly flags against labelled incidents (and the future), and the real-log shapes."""

from __future__ import annotations

import pandas as pd

from gradekit.result import Measurement
from stage2_grading.counts import CountCheck, check_minute_table, check_stream_counts
from stage2_grading.failed_runs import failed_run
from stage2_grading.flags import FlagScore, causality_diff, score_flags
from stage2_grading.session import Session
from stage2_log_analysis.generator import GroundTruth
from stage2_log_analysis.scoring import score_shape

__all__ = ["measure_accuracy"]


def measure_accuracy(s: Session) -> Measurement:
    log = s.log("accuracy")
    stream = s.stream("accuracy")
    if stream.error:
        return failed_run("LogAnalyzer.process_logs_stream", stream)
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
