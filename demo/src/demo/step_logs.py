"""Step 2 (stage 2): generate an access log, analyse it, flag anomalies, write Parquet."""

from __future__ import annotations

from typing import Literal

from demo.config import DemoSettings
from demo.results import Artifact, StepResult, write_json
from stage2_log_analysis import (
    GeneratorConfig,
    analyze,
    anomaly_events,
    generate_log,
    write_results,
)
from stage2_log_analysis.scoring import score_counts, score_incidents

__all__ = ["run_log_analysis"]


def run_log_analysis(settings: DemoSettings) -> StepResult:
    """Write a log with injected incidents, analyse it, and score the result against the truth.

    The generator records per-minute counts and incidents before writing, so "accurate" here
    means equal to that truth, not "looks plausible".
    """
    profile = settings.profile
    out = settings.out / "stage2"
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "access.log"
    truth = generate_log(
        log_path,
        GeneratorConfig(size_bytes=profile.log_bytes, seed=settings.seed, days=profile.log_days),
    )
    engine: Literal["local", "dask"] = "dask" if profile.log_engine == "dask" else "local"
    result = analyze([log_path], engine=engine, n_workers=2)
    results_dir = write_results(result, out / "results")
    counts = score_counts(result.minutes, truth)
    incidents = score_incidents(result.anomalies, truth)
    score = {"counts": counts.model_dump(), "incidents": incidents.model_dump()}
    write_json(out / "score.json", score)
    events = anomaly_events(result.anomalies)
    summary = {
        "log_mb": round(result.report.bytes_read / 1e6, 1),
        "engine": f"{result.report.engine} ({result.report.workers} worker(s))",
        "lines": result.report.lines,
        "rejected_lines": result.report.rejected,
        "minutes": len(result.minutes),
        "minutes_exact": f"{counts.minutes_exact}/{counts.minutes_truth}",
        "anomaly_events": len(events),
        "incidents_found": f"{incidents.detected}/{incidents.incidents}",
        "precision": round(incidents.precision, 3),
    }
    return StepResult(
        step="logs",
        stage=2,
        title="Analyse a log and flag anomalies (로그 분석, 이상 탐지)",
        summary=summary,
        artifacts=[
            Artifact(label="access log (generated)", location=str(log_path)),
            Artifact(label="ground truth", location=f"{log_path}.truth.json"),
            Artifact(
                label="per-minute statistics (Parquet, by date)",
                location=str(results_dir / "minutes"),
                kind="folder",
            ),
            Artifact(
                label="anomalies (Parquet)", location=str(results_dir / "anomalies"), kind="folder"
            ),
            Artifact(
                label="chart of requests and anomalies", location=str(results_dir / "chart.png")
            ),
            Artifact(label="summary", location=str(results_dir / "summary.txt")),
            Artifact(label="score against the truth", location=str(out / "score.json")),
        ],
    )
