"""The learner's half of criterion ``docker``: train and deploy a champion, and its own answers.

The container itself is built and run by the grader's process (:mod:`stage3_grading.docker_check`),
so it is always removed; only the learner's code runs here, in a child with a time limit.
"""

from __future__ import annotations

from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage3_grading.datasets import interactions, sample_users
from stage3_grading.lab import Lab
from stage3_grading.probe_ui import METRIC
from stage3_grading.serving import K, personal
from stage3_grading.steps import StepFailed, fail, step

__all__ = ["EXPERIMENT", "probe_champion"]

EXPERIMENT = "grade-docker"
PARAMS = {"model": "item_knn", "neighbors": 50}


def probe_champion(ctx: GradeContext, tracking_uri: str) -> Measurement:
    """Train + deploy; details carry the model URI to serve and its own predictions."""
    try:
        return _measure(ctx, Lab(ctx, tracking_uri))
    except StepFailed as failed:
        return failed.measurement


def _measure(ctx: GradeContext, lab: Lab) -> Measurement:
    mlops = step(ctx, f"RecommendationMLOps({EXPERIMENT!r})", lab.mlops, EXPERIMENT)
    data = interactions(5)
    users = sample_users(data)
    step(ctx, f"train_model(X, None, {PARAMS})", mlops.train_model, data.copy(), None, dict(PARAMS))
    step(ctx, f"deploy_best_model(metric={METRIC!r})", mlops.deploy_best_model, metric=METRIC)
    exp_id = lab.experiment_id(EXPERIMENT)
    model = lab.registered_model_of(exp_id) if exp_id else None
    champion = lab.champion(model) if model else None
    if model is None or champion is None:
        raise fail("deploy_best_model left no registered champion (alias 'champion') to serve")
    expected = step(
        ctx,
        f"mlflow.pyfunc.load_model({champion.version_uri!r}).predict",
        lab.predictions,
        champion.version_uri,
        users,
        k=K,
    )
    if not personal(expected):
        raise fail(
            f"the registered item_knn champion gives all {len(users)} users the same list "
            f"({expected[0][:5]}…): its recommendations ignore the user"
        )
    return Measurement(
        value=True,
        passed=True,
        evidence=f"champion {champion.version_uri} ({champion.via})",
        details={
            "model_uri": champion.serve_uri,
            "version_uri": champion.version_uri,
            "users": users,
            "expected": expected,
        },
    )
