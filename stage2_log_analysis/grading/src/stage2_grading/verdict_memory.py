"""Criterion 1, memory: peak RSS of the stream, both analyze engines and a 12-month log, and
below 10GB the growth from a quarter of the size, projected to 10GB."""

from __future__ import annotations

from gradekit.result import Measurement
from stage2_grading.criteria import MEMORY_LIMIT_MB, TARGET_SIZE
from stage2_grading.failed_runs import failed_run
from stage2_grading.session import Session
from stage2_log_analysis.generator import parse_size

__all__ = ["measure_memory"]

#: Growth of peak RSS between the quarter and the full file that is still noise (MB).
GROWTH_NOISE_MB = 48.0
#: Below this size a Dask run's partitions (often 64 MB) can make worker memory look like growth.
WORKER_GROWTH_MIN_SIZE = parse_size("1GB")


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
        return failed_run("LogAnalyzer.process_logs_stream", stream)
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
        idle = float(d.get("cluster_idle_mb", 0.0))
        peaks["dask"] = round(d["peak_mb"] - idle, 1)
        parts.append(
            f"analyze(engine='dask') peak {peaks['dask']:,.0f} MB (your process "
            f"{d['own_peak_mb']:,.0f} MB + what your work added to the {s.workers}-worker "
            f"cluster: {d['cluster_peak_mb'] - idle:,.0f} MB over its idle {idle:,.0f} MB)"
        )
    local = s.analyze_local("big")
    if local.error:
        unmeasured = unmeasured or f"analyze(engine='local') did not finish ({local.error[:300]})"
        parts.append(f"analyze(engine='local') did not finish ({local.error[:300]})")
    else:
        peaks["local"] = local.details["own_peak_mb"]
        parts.append(f"analyze(engine='local') peak {local.details['own_peak_mb']:,.0f} MB")
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
            inconclusive=f"{unmeasured}: no memory figure for that run (its failure is judged "
            "by the Dask or accuracy criterion); what was measured was within the limit",
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
    l_big, l_q = s.analyze_local("big"), s.analyze_local("quarter")
    if not l_q.error:
        per_gb, proj = _projected(l_big.details["own_peak_mb"], l_q.details["own_peak_mb"], bb, qb)
        findings.append(("analyze(engine='local')", per_gb, proj, True))
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
