"""Criterion ``rollback``: promotions, a kept champion, serving it, and rolling back — by behaviour."""

from __future__ import annotations

from typing import Any

from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage3_grading.datasets import interactions, sample_users
from stage3_grading.lab import Champion, Lab
from stage3_grading.probe_ui import METRIC
from stage3_grading.serving import compare_served, personal, serve_and_query
from stage3_grading.steps import StepFailed, fail, step

__all__ = ["probe_rollback"]

EXPERIMENT = "grade-rollback"
FIRST: dict[str, Any] = {"model": "popularity"}
BETTER: dict[str, Any] = {"model": "item_knn", "neighbors": 50}


def probe_rollback(ctx: GradeContext, tracking_uri: str) -> Measurement:
    """v1 (popularity) → v2 (item-kNN) → a worse model that must not win → serve → rollback."""
    try:
        return _measure(ctx, Lab(ctx, tracking_uri))
    except StepFailed as failed:
        return failed.measurement


def _deploy(ctx: GradeContext, lab: Lab, mlops: Any, data: Any, params: dict[str, Any]) -> None:
    step(ctx, f"train_model(X, None, {params})", mlops.train_model, data.copy(), None, dict(params))
    step(ctx, f"deploy_best_model(metric={METRIC!r})", mlops.deploy_best_model, metric=METRIC)


def _champion(lab: Lab, model: str, when: str) -> Champion:
    found = lab.champion(model)
    if found is None:
        raise fail(
            f"{when}: {model!r} has no version with the alias 'champion' (or in stage "
            "'Production'): the grader cannot tell which version is deployed"
        )
    return found


def _measure(ctx: GradeContext, lab: Lab) -> Measurement:
    mlops = step(ctx, f"RecommendationMLOps({EXPERIMENT!r})", lab.mlops, EXPERIMENT)
    data = interactions(3)
    users = sample_users(data)
    _deploy(ctx, lab, mlops, data, FIRST)
    exp_id = lab.experiment_id(EXPERIMENT)
    model = lab.registered_model_of(exp_id) if exp_id else None
    if model is None:
        raise fail(
            "after train_model + deploy_best_model no registered model version came from the experiment's runs"
        )
    first = _champion(lab, model, "after the first deploy_best_model")
    _deploy(ctx, lab, mlops, data, BETTER)
    second = _champion(lab, model, "after deploying the better item_knn model")
    if second.version == first.version:
        raise fail(
            f"the champion stayed v{first.version} after deploy_best_model of a better model "
            f"(item_knn beats popularity on {METRIC}); versions: {_versions(lab, model)}"
        )
    _deploy(ctx, lab, mlops, data, FIRST)
    kept = _champion(lab, model, "after deploying a worse popularity model")
    if kept.version != second.version and kept.run_id != second.run_id:
        raise fail(
            f"deploying a worse model (popularity again) moved the champion from v{second.version} "
            f"to v{kept.version}: deploy_best_model must keep the better champion"
        )
    before = serve_and_query(ctx, lab, kept.serve_uri, users, ctx.work_dir / "serve-champion.log")
    own = compare_served(ctx, lab, before, kept.version_uri, users)
    if not own.equal:
        raise fail(
            f"{kept.serve_uri} served answers that are not v{kept.version}'s own predictions "
            f"({own.first_difference(users)})"
        )
    if not personal(own.expected):
        raise fail(
            f"the item_knn champion v{kept.version} gives every one of {len(users)} users the same "
            f"list ({own.expected[0][:5]}…): its recommendations ignore the user"
        )
    step(ctx, "rollback()", mlops.rollback)
    after = _champion(lab, model, "after rollback()")
    if after.version != first.version and after.run_id != first.run_id:
        raise fail(
            f"after rollback() the champion is v{after.version}; expected the previous champion "
            f"v{first.version} (versions: {_versions(lab, model)})"
        )
    again = serve_and_query(ctx, lab, after.serve_uri, users, ctx.work_dir / "serve-rollback.log")
    old = compare_served(ctx, lab, again, first.version_uri, users)
    if not old.equal or again == before:
        raise fail(
            f"after rollback() {after.serve_uri} serves "
            + (
                "the same answers as before the rollback"
                if again == before
                else "answers that are not"
            )
            + f" v{first.version}'s own predictions ({old.first_difference(users)})"
        )
    return Measurement(
        value=True,
        passed=True,
        evidence=(
            f"{model}: champion v{first.version} → v{second.version} (better) → kept v{kept.version} "
            f"(worse candidate) → rollback() → v{after.version} ({after.via}); served @champion "
            f"equals the version's own predictions for {len(users)} users before and after, "
            f"and the rollback changed the served lists"
        ),
        details={
            "model": model,
            "users": users,
            "served_before": before[:3],
            "served_after": again[:3],
        },
    )


def _versions(lab: Lab, model: str) -> str:
    return ", ".join(f"v{v.version} (run {str(v.run_id)[:8]})" for v in lab.versions(model))
