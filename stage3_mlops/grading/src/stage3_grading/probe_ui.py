"""Criterion ``mlflow_ui``: a grid of runs the MLflow UI can show, read back from the server."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any

import httpx

from gradekit.browser import screenshot
from gradekit.errors import BrowserError, ToolMissing
from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage3_grading.datasets import interactions
from stage3_grading.lab import Lab
from stage3_grading.steps import StepFailed, step

__all__ = ["GRID", "METRIC", "probe_ui"]

METRIC = "ndcg_at_10"
GRID: tuple[dict[str, Any], ...] = (
    {"model": "popularity"},
    *({"model": "item_knn", "neighbors": n} for n in (5, 10, 20, 30, 50, 75, 100, 150, 200, 300)),
    {"model": "popularity"},
)
EXPERIMENT = "grade-ui"


def probe_ui(ctx: GradeContext, tracking_uri: str) -> Measurement:
    """12 train_model calls and a deployment; count what the UI would show."""
    try:
        return _measure(ctx, Lab(ctx, tracking_uri))
    except StepFailed as failed:
        return failed.measurement


def _measure(ctx: GradeContext, lab: Lab) -> Measurement:
    mlops = step(ctx, f"RecommendationMLOps({EXPERIMENT!r})", lab.mlops, EXPERIMENT)
    data = interactions(7)
    for params in GRID:
        step(
            ctx,
            f"train_model(X, None, {params})",
            mlops.train_model,
            data.copy(),
            None,
            dict(params),
        )
    step(ctx, f"deploy_best_model(metric={METRIC!r})", mlops.deploy_best_model, metric=METRIC)
    exp_id = lab.experiment_id(EXPERIMENT)
    if exp_id is None:
        return Measurement(
            value=0,
            passed=False,
            evidence=f"no experiment named {EXPERIMENT!r} on the tracking server: the UI lists "
            "runs by experiment; call mlflow.set_experiment(experiment_name) in __init__",
        )
    runs = lab.runs(exp_id)
    finished = [r for r in runs if r.info.status == "FINISHED"]
    good = [r for r in finished if _has_metric(r.data.metrics, METRIC) and r.data.params]
    model = lab.registered_model_of(exp_id)
    shot = ctx.work_dir / "mlflow_ui.png"
    page = f"{lab.url}/#/experiments/{exp_id}/runs"
    ui_answers = _ui_answers(lab.url)
    shot_note = _screenshot(page, shot) if ui_answers else "no screenshot (UI did not answer)"
    problems = []
    if len(good) < 10:
        no_metric = sum(1 for r in finished if not _has_metric(r.data.metrics, METRIC))
        problems.append(
            f"only {len(good)} finished run(s) with a numeric {METRIC} and params "
            f"({len(runs)} runs, {len(finished)} finished, {no_metric} of those without {METRIC})"
        )
    if model is None:
        problems.append("no registered model version was made from this experiment's runs")
    if not ui_answers:
        problems.append("the tracking server's UI page did not answer")
    evidence = (
        f"experiment {EXPERIMENT!r}: {len(runs)} runs, {len(good)} finished with {METRIC} and "
        f"params (REST runs/search); registered model: {model or 'none'}; screenshot: {shot_note}"
    )
    if problems:
        evidence = "; ".join(problems) + ". " + evidence
    return Measurement(
        value=len(good),
        passed=not problems,
        evidence=evidence,
        details={"experiment_id": exp_id, "registered_model": model, "screenshot": str(shot)},
    )


def _has_metric(metrics: dict[str, float], name: str) -> bool:
    value = metrics.get(name)
    return value is not None and math.isfinite(float(value))


def _ui_answers(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=30).status_code == 200
    except httpx.HTTPError:
        return False


def _screenshot(url: str, target: Path) -> str:
    """A PNG of the experiment page (headless Chromium), or why there is none (not judged)."""
    try:
        shot = screenshot(url, target, wait_ms=30_000, size="2400,1100", timeout_s=180)
    except (ToolMissing, BrowserError, subprocess.TimeoutExpired, OSError) as exc:
        return f"none ({exc})"
    return f"{shot} ({shot.stat().st_size // 1024} KiB)"
