"""Stage 2 grader: the roadmap's four criteria, measured on generated logs with ground truth.

Every measurement runs the implementation in a subprocess (``stage2_log_analysis.probe``) and
samples the RSS of that whole process tree with psutil, Dask workers included. The interface
graded is the roadmap's ``LogAnalyzer`` plus two optional methods (see the stage README):

* criteria 1 and 4 use ``process_logs_stream`` (records with ``timestamp`` and ``status``)
  and ``detect_anomalies(ddf)``;
* criterion 2 uses ``LogAnalyzer().analyze(path, engine="dask" | "local", n_workers=N)``;
* criterion 3 uses ``LogAnalyzer().follow(path)``, a generator of closed-minute frames with
  ``minute`` and ``requests``.

Options (``GRADE_OPTS="--opt size=1GB"``): ``size`` (default 10GB), ``accuracy_size`` (100MB),
``seed`` (42), ``follow_timeout`` (seconds, 200).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from gradekit.criterion import Comparison, Criterion
from gradekit.result import Measurement
from gradekit.runner import Check
from gradekit.sampling import TreeRSSSampler
from gradekit.stages import GradeContext
from stage2_log_analysis.generator import (
    GeneratorConfig,
    GroundTruth,
    generate_log,
    parse_size,
    span_days,
    truth_path_for,
)
from stage2_log_analysis.scoring import score_incidents

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]

TITLE = "Stage 2 — Large-scale data: log analytics on Dask"
DEFAULT_IMPL = "stage2_log_analysis"
MODULE_HINT = "log_analyzer"

BASELINE_TEXT = (
    "naive pandas baseline (stage2_log_analysis.baseline.analyze_naive: pd.read_csv chunks "
    "of 100k lines + Series.str.extract regex + crosstab per minute, one process)"
)


@dataclass
class ProbeRun:
    """What one probe subprocess returned, and the peak RSS of its process tree."""

    result: dict[str, Any]
    peak_mb: float
    seconds: float

    @property
    def error(self) -> str | None:
        """The implementation's error, if the probe failed."""
        err = self.result.get("error")
        return str(err) if err is not None else None


@dataclass
class _Session:
    """Files and probe results shared by the criteria of one grading run."""

    ctx: GradeContext
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def impl(self) -> str:
        spec = self.ctx.impl_spec
        if spec and (os.sep in spec or spec.endswith(".py") or Path(spec).exists()):
            return str(Path(spec).resolve())
        return spec

    @property
    def size_text(self) -> str:
        return self.ctx.option("size", "10GB")

    def log(self, kind: str) -> tuple[Path, GroundTruth]:
        """The generated log for ``kind`` ("big" or "accuracy"), made once and reused."""
        if kind in self.cache:
            return self.cache[kind]  # type: ignore[no-any-return]
        seed = int(self.ctx.option("seed", "42"))
        if kind == "big":
            size = parse_size(self.size_text)
            days = span_days(size, 1.0)
        else:
            size = parse_size(self.ctx.option("accuracy_size", "100MB"))
            days = span_days(size, 1.5)
        path = self.ctx.work_dir / f"{kind}-{size}-{seed}.log"
        tpath = truth_path_for(path)
        if path.exists() and tpath.exists():
            truth = GroundTruth.model_validate_json(tpath.read_text(encoding="utf-8"))
        else:
            config = GeneratorConfig(size_bytes=size, seed=seed, days=days)
            truth = generate_log(path, config)
        self.cache[kind] = (path, truth)
        return path, truth

    def probe(self, key: str, args: list[str], timeout: float = 7200) -> ProbeRun:
        """Run (once) ``probe`` with ``args`` and keep its result under ``key``."""
        if key not in self.cache:
            self.cache[key] = run_probe(args, self.impl, self.ctx.work_dir, timeout=timeout)
        return self.cache[key]  # type: ignore[no-any-return]


def run_probe(
    args: list[str],
    impl: str,
    work_dir: Path,
    *,
    timeout: float,
    env: dict[str, str] | None = None,
) -> ProbeRun:
    """Run ``python -m stage2_log_analysis.probe`` and sample its tree RSS every 50 ms.

    ``env``: variables to set for the probe on top of this process's environment.
    """
    task, rest = args[0], args[1:]
    cmd = [sys.executable, "-m", "stage2_log_analysis.probe", task, "--impl", impl, *rest]
    log_path = work_dir / f"probe-{task}.stderr.log"
    started = time.perf_counter()
    with log_path.open("w") as err:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ, **(env or {})}
        )
        with TreeRSSSampler(proc.pid) as sampler:
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
                out += "\n" + json.dumps({"error": f"timed out after {timeout:.0f} s"})
    seconds = time.perf_counter() - started
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": f"no result (see {log_path})"}
    return ProbeRun(result=result, peak_mb=sampler.peak_mb, seconds=seconds)


# ---- criterion 1: memory ---------------------------------------------------------------------


def _measure_memory(s: _Session) -> Measurement:
    path, _ = s.log("big")
    stream = s.probe("stream", ["stream", str(path), "10000"])
    if stream.error:
        return Measurement(
            value=None, passed=False, evidence=f"process_logs_stream failed: {stream.error}"
        )
    dask = s.probe("dask2", ["analyze", str(path), "dask", "2"])
    parts = [
        f"{s.size_text} log ({path.stat().st_size / 1e9:.2f} GB): process_logs_stream "
        f"(chunk_size=10000) peak tree RSS {stream.peak_mb:,.0f} MB"
    ]
    peak = stream.peak_mb
    if dask.error:
        parts.append(f"analyze(engine='dask') not measured: {dask.error}")
    else:
        parts.append(f"analyze(engine='dask', 2 workers) peak {dask.peak_mb:,.0f} MB")
        peak = max(peak, dask.peak_mb)
    return Measurement(
        value=round(peak, 1),
        evidence="; ".join(parts) + " (psutil, every 50 ms, workers included)",
        details={"stream_peak_mb": stream.peak_mb, "dask_peak_mb": dask.peak_mb},
    )


# ---- criterion 2: Dask speed-up ----------------------------------------------------------------


def _measure_dask(s: _Session) -> Measurement:
    path, truth = s.log("big")
    dask2 = s.probe("dask2", ["analyze", str(path), "dask", "2"])
    if dask2.error:
        return Measurement(value=None, passed=False, evidence=f"Dask run failed: {dask2.error}")
    base = s.probe("baseline", ["baseline", str(path)])
    if base.error:
        return Measurement(value=None, passed=False, evidence=f"baseline failed: {base.error}")
    dask1 = s.probe("dask1", ["analyze", str(path), "dask", "1"])
    t2, tb = float(dask2.result["seconds"]), float(base.result["seconds"])
    ratio = 100.0 * t2 / tb
    efficiency = None
    if not dask1.error:
        efficiency = float(dask1.result["seconds"]) / (2 * t2)
    eff_text = f"{efficiency:.2f}" if efficiency is not None else f"n/a ({dask1.error})"
    expected = sum(truth.minutes["requests"])
    startup = float(dask2.result.get("startup_seconds", 0.0))
    evidence = (
        f"LogAnalyzer().analyze(engine='dask', n_workers=2) on a LocalCluster: {t2:.1f} s of "
        f"processing (+{startup:.1f} s cluster start-up, not counted: a cluster outlives one "
        f"job) vs {BASELINE_TEXT}: {tb:.1f} s on the same {s.size_text} file. Parallel "
        f"efficiency 1→2 workers: {eff_text} "
        f"(1 worker {dask1.result.get('seconds', float('nan')):.1f} s)."
    )
    got = dask2.result.get("requests")
    return Measurement(
        value=round(ratio, 1),
        passed=ratio <= 50.0 and (got is None or got == expected),
        evidence=evidence + ("" if got in (None, expected) else f" Requests {got} ≠ {expected}."),
        details={
            "dask_2_workers_s": t2,
            "dask_startup_s": startup,
            "dask_1_worker_s": dask1.result.get("seconds"),
            "baseline_s": tb,
            "parallel_efficiency": efficiency,
            "requests": got,
            "requests_truth": expected,
        },
    )


# ---- criterion 3: real-time streaming ----------------------------------------------------------

_KST = timezone(timedelta(hours=9))


def _clf(now: datetime, i: int) -> str:
    stamp = now.astimezone(_KST).strftime("%d/%b/%Y:%H:%M:%S +0900")
    status = 503 if i % 50 == 0 else 200
    return f'198.51.100.{i % 200} - - [{stamp}] "GET /live/{i % 7} HTTP/1.1" {status} 512 "-" "grader"\n'


def _measure_streaming(s: _Session) -> Measurement:
    folder = s.ctx.work_dir / "follow"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log = folder / "live.log"
    log.touch()
    timeout = float(s.ctx.option("follow_timeout", "200"))
    cmd = [sys.executable, "-m", "stage2_log_analysis.probe", "follow", "--impl", s.impl, str(log)]
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    with (folder / "probe.stderr.log").open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("{"):
                    events.put(json.loads(line))

        threading.Thread(target=read, daemon=True).start()
        try:
            return _drive_follow(log, proc, events, timeout)
        finally:
            proc.kill()
            proc.wait()


def _drive_follow(
    log: Path, proc: subprocess.Popen[str], events: queue.Queue[dict[str, Any]], timeout: float
) -> Measurement:
    # the probe may take a while to import under load: the clock starts once it is ready
    deadline = time.monotonic() + timeout + 180
    ready = False
    written: Counter[float] = Counter()
    emitted: dict[float, tuple[int, float]] = {}
    rotated_minute: float | None = None
    exited_at: float | None = None
    i = 0
    while time.monotonic() < deadline:
        while not events.empty():
            ev = events.get()
            if "error" in ev:
                return Measurement(
                    value=None, passed=False, evidence=f"follow failed: {ev['error']}"
                )
            if "ready" in ev:
                ready = True
                deadline = time.monotonic() + timeout
            elif "minute" in ev:
                emitted.setdefault(float(ev["minute"]), (int(ev["requests"]), float(ev["at"])))
        if proc.poll() is not None and events.empty():
            if exited_at is None:
                exited_at = time.monotonic()  # give the reader thread a moment for its last line
            elif time.monotonic() - exited_at > 2.0:
                return Measurement(
                    value=None, passed=False, evidence="follow() returned or crashed"
                )
            time.sleep(0.1)
            continue
        if not ready:
            time.sleep(0.1)
            continue
        now = datetime.now(UTC)
        with log.open("a") as fh:
            for _ in range(3):
                fh.write(_clf(now, i))
                i += 1
        written[now.replace(second=0, microsecond=0).timestamp()] += 3
        closed = [m for m in emitted if m in written]
        if closed and rotated_minute is None:
            os.replace(log, log.with_name("live.log.1"))  # logrotate: move, then a new file
            log.touch()
            rotated_minute = now.replace(second=0, microsecond=0).timestamp()
        if rotated_minute is not None and rotated_minute in emitted:
            break
        time.sleep(0.1)
    checked = {m: emitted[m] for m in written if m in emitted}
    if rotated_minute is None or rotated_minute not in emitted:
        return Measurement(
            value=None,
            passed=False,
            evidence=f"no closed minute across a rotation within {timeout:.0f} s "
            f"(minutes emitted: {len(emitted)})",
        )
    latencies = {m: at - (m + 60) for m, (_, at) in checked.items()}
    wrong = {m: (n, written[m]) for m, (n, _) in checked.items() if n != written[m]}
    worst = max(latencies.values())
    evidence = (
        f"{len(checked)} minutes written live (wall-clock timestamps, +0900), the log rotated "
        f"during the last one; each closed minute emitted {min(latencies.values()):.2f}–"
        f"{worst:.2f} s after it ended; counts "
        + ("all exact" if not wrong else f"wrong for {len(wrong)}: {list(wrong.values())[:3]}")
    )
    return Measurement(
        value=round(worst, 2),
        passed=worst <= 2.0 and not wrong,
        evidence=evidence,
        details={"latencies_s": list(latencies.values()), "minutes": len(checked)},
    )


# ---- criterion 4: accuracy ------------------------------------------------------------------


def _measure_accuracy(s: _Session) -> Measurement:
    path, truth = s.log("big")
    stream = s.probe("stream", ["stream", str(path), "10000"])
    if stream.error:
        return Measurement(value=None, passed=False, evidence=f"stream failed: {stream.error}")
    got: dict[tuple[int, int], int] = {(m, c): n for m, c, n in stream.result["counts"]}
    t = truth.minutes
    exact = 0
    for k, minute in enumerate(t["minute"]):
        want = {cls: t[f"status_{cls}xx"][k] for cls in (2, 3, 4, 5)}
        if all(got.get((minute, cls), 0) == want[cls] for cls in want):
            exact += 1
    extra = {m for (m, _) in got} - set(t["minute"])
    n_minutes = len(t["minute"])
    exact_frac = (exact - len(extra)) / n_minutes if n_minutes else 0.0

    acc_path, acc_truth = s.log("accuracy")
    flags = s.probe("anomalies", ["anomalies", str(acc_path)])
    if flags.error:
        return Measurement(
            value=round(100 * exact_frac, 2),
            passed=False,
            evidence=f"counts exact in {exact}/{n_minutes} minutes; detect_anomalies failed: "
            f"{flags.error}",
        )
    anomalies = pd.DataFrame(flags.result["anomalies"])
    if not anomalies.empty:
        anomalies["minute"] = pd.to_datetime(anomalies["minute"], utc=True)
    score = score_incidents(anomalies, acc_truth)
    value = 100 * min(exact_frac, score.precision, score.recall)
    evidence = (
        f"per-minute counts (requests by status class) exact in {exact}/{n_minutes} minutes of "
        f"the {s.size_text} log ({truth.malformed_lines} malformed lines must be rejected); "
        f"anomalies on a {acc_path.stat().st_size / 1e6:.0f} MB log: {score.detected}/"
        f"{score.incidents} incidents found, {score.true_events}/{score.events} events true "
        f"(precision {score.precision:.2f}, recall {score.recall:.2f})"
    )
    if score.missed:
        evidence += f"; missed {score.missed[:3]}"
    if score.false_alarms:
        evidence += f"; false alarms {score.false_alarms[:3]}"
    return Measurement(
        value=round(value, 2),
        passed=exact_frac == 1.0 and score.precision >= 0.95 and score.recall >= 0.95,
        evidence=evidence,
        details={"count_exact_fraction": exact_frac, **score.model_dump()},
    )


def build_checks(ctx: GradeContext) -> list[Check]:
    """The four roadmap criteria of stage 2."""
    s = _Session(ctx)
    size = s.size_text
    return [
        Check(
            Criterion(
                id="memory",
                title=f"Process a {size} file with memory use of 1GB or less",
                title_ko=f"{size} 파일을 1GB 이하 메모리로 처리",
                method="peak RSS of the whole process tree (Dask workers included), psutil every "
                "50 ms, while streaming the file and while analysing it on Dask",
                threshold=1024,
                unit="MB",
                comparison=Comparison.AT_MOST,
            ),
            lambda: _measure_memory(s),
        ),
        Check(
            Criterion(
                id="dask_speedup",
                title="Cut processing time by 50% with a Dask cluster",
                title_ko="Dask 클러스터로 처리 시간 50% 단축",
                method="wall time of analyze(engine='dask', 2 workers) as % of the naive pandas "
                "baseline on the same file; parallel efficiency 1→2 workers reported",
                threshold=50,
                unit="%",
                comparison=Comparison.AT_MOST,
            ),
            lambda: _measure_dask(s),
        ),
        Check(
            Criterion(
                id="streaming",
                title="Implement real-time streaming processing",
                title_ko="실시간 스트리밍 처리 구현",
                method="lines appended live to a followed file (rotated once); seconds from a "
                "minute's end to its statistics being emitted, counts checked",
                threshold=2.0,
                unit="s",
                comparison=Comparison.AT_MOST,
            ),
            lambda: _measure_streaming(s),
        ),
        Check(
            Criterion(
                id="accuracy",
                title="Result accuracy of 95% or more",
                title_ko="결과 정확도 95% 이상",
                method="min(share of minutes whose counts equal the generator's truth, anomaly "
                "precision, anomaly recall); counts must be exact, P and R ≥ 0.95",
                threshold=95,
                unit="%",
                comparison=Comparison.AT_LEAST,
            ),
            lambda: _measure_accuracy(s),
        ),
    ]
