"""Criterion ``drift``: stable weeks retrain nothing; drifted weeks retrain soon. Counted in MLflow."""

from __future__ import annotations

import itertools

from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage3_grading.datasets import DRIFT_START_DAY, interactions, weekly_windows
from stage3_grading.lab import Lab
from stage3_grading.probe_ui import METRIC
from stage3_grading.steps import StepFailed, fail, step

__all__ = ["WEEKS", "probe_drift"]

WEEKS = 4
WITHIN = 2  # a drift must be answered within this many windows
PARAMS = {"model": "item_knn", "neighbors": 50}


def probe_drift(ctx: GradeContext, tracking_uri: str, scenario: str) -> Measurement:
    """One scenario (``stable`` or ``drift``): new models logged per monitored window."""
    try:
        return _measure(ctx, Lab(ctx, tracking_uri), scenario)
    except StepFailed as failed:
        return failed.measurement


def _measure(ctx: GradeContext, lab: Lab, scenario: str) -> Measurement:
    name = f"grade-drift-{scenario}"
    mlops = step(ctx, f"RecommendationMLOps({name!r})", lab.mlops, name)
    data = interactions(11, days=DRIFT_START_DAY + 7 * WEEKS, drifted=scenario == "drift")
    day = (data["timestamp"] - data["timestamp"].min()).dt.days
    history = data[day < DRIFT_START_DAY].reset_index(drop=True)
    step(
        ctx,
        f"train_model(first {DRIFT_START_DAY} days, None, {PARAMS})",
        mlops.train_model,
        history,
        None,
        dict(PARAMS),
    )
    step(ctx, f"deploy_best_model(metric={METRIC!r})", mlops.deploy_best_model, metric=METRIC)
    exp_id = lab.experiment_id(name)
    if exp_id is None:
        raise fail(f"no experiment named {name!r}: __init__ must call mlflow.set_experiment(name)")
    counts = [lab.logged_models(exp_id)]
    if counts[0] == 0:
        raise fail(f"train_model logged no model in experiment {name!r} (mlflow.pyfunc.log_model)")
    for week, window in enumerate(weekly_windows(data, DRIFT_START_DAY, WEEKS), start=1):
        step(
            ctx,
            f"monitor_model_performance(week {week} window)",
            mlops.monitor_model_performance,
            window.copy(),
        )
        counts.append(lab.logged_models(exp_id))
    per_window = [b - a for a, b in itertools.pairwise(counts)]
    return Measurement(
        value=sum(per_window), evidence=str(per_window), details={"new_models": per_window}
    )


def judge(stable: Measurement, drifted: Measurement) -> Measurement:
    """Both scenarios together: no retraining on stable data, one within WITHIN drifted windows."""
    for m in (stable, drifted):
        if m.passed is False:
            return m
    stable_new: list[int] = stable.details["new_models"]
    drift_new: list[int] = drifted.details["new_models"]
    first = next((i for i, n in enumerate(drift_new) if n > 0), None)
    problems = []
    if sum(stable_new) > 0:
        problems.append(
            f"retrained on stable data ({sum(stable_new)} new model(s) over {WEEKS} windows)"
        )
    if first is None:
        problems.append(f"never retrained on the {WEEKS} drifted windows")
    elif first >= WITHIN:
        problems.append(f"retrained only in drifted window {first + 1} (expected within {WITHIN})")
    summary = (
        f"new models logged per monitored window: stable {stable_new}, drifted {drift_new} "
        f"(drift: half the users change taste and 20 new popular items appear in window 1)"
    )
    return Measurement(
        value=not problems,
        passed=not problems,
        evidence=("; ".join(problems) + ". " if problems else "") + summary,
        details={"stable": stable_new, "drift": drift_new},
    )
