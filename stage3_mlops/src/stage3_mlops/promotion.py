"""Promote a candidate to ``champion`` only when it beats the current one, and say why.

A candidate that loses gets the ``challenger`` alias and a ``rejection_reason`` tag; a winner
gets ``champion``, joins the champion history (what :mod:`stage3_mlops.rollback` walks back)
and a ``promotion_reason`` tag.
"""

from __future__ import annotations

from stage3_mlops import registry
from stage3_mlops.errors import RegistryError
from stage3_mlops.reports import DeploymentDecision
from stage3_mlops.run_logging import KIND_TAG
from stage3_mlops.tracking import TrackingContext

__all__ = ["decide_promotion", "deploy_best_run", "higher_is_better"]

_LOWER_IS_BETTER = ("loss", "rmse", "mae", "error", "seconds")


def higher_is_better(metric: str) -> bool:
    """True unless the metric's name says loss, error or seconds."""
    return not any(word in metric for word in _LOWER_IS_BETTER)


def deploy_best_run(
    ctx: TrackingContext, metric: str = "ndcg_at_10", *, force: bool = False
) -> DeploymentDecision:
    """Find the experiment's best finished training run by ``metric`` and decide on it."""
    higher = higher_is_better(metric)
    runs = ctx.client.search_runs(
        [ctx.experiment_id],
        filter_string=f"tags.`{KIND_TAG}` = 'train' and attributes.status = 'FINISHED'",
        max_results=1000,
    )
    scored = [r for r in runs if metric in r.data.metrics]
    if not scored:
        known = sorted({m for r in runs for m in r.data.metrics})
        raise RegistryError(
            f"no finished training run in {ctx.experiment_name!r} logged {metric!r}; "
            f"train a model first or pick one of {known}"
        )
    best = (max if higher else min)(scored, key=lambda r: r.data.metrics[metric])
    score = float(best.data.metrics[metric])
    return decide_promotion(ctx, best.info.run_id, metric, score, None, higher=higher, force=force)


def decide_promotion(
    ctx: TrackingContext,
    run_id: str,
    metric: str,
    score: float,
    champion_score: float | None,
    *,
    higher: bool = True,
    force: bool = False,
    context: str = "validation",
) -> DeploymentDecision:
    """Register ``run_id``'s model and move ``champion`` to it if ``score`` wins (or ``force``).

    ``champion_score`` None means: read the champion's logged ``metric`` from its run.
    ``context`` says where the scores come from, for the recorded reason.
    """
    client, name = ctx.client, ctx.model_name
    champion = registry.get_alias_version(client, name, registry.CHAMPION)
    if champion is not None and champion_score is None:
        champion_score = client.get_run(str(champion.run_id)).data.metrics.get(metric)
    common = {"model_name": name, "candidate_run_id": run_id, "metric": metric}
    if champion is not None and champion.run_id == run_id:
        return DeploymentDecision(
            promoted=False,
            champion_version=str(champion.version),
            candidate_version=str(champion.version),
            candidate_score=score,
            champion_score=champion_score,
            reason=f"run {run_id} is already the champion (v{champion.version})",
            **common,
        )
    wins = champion_score is None or (score > champion_score if higher else score < champion_score)
    version = str(registry.register_run_model(client, name, run_id).version)
    old = str(champion.version) if champion else None
    versus = "no champion yet" if champion is None else f"champion v{old} {metric}={champion_score}"
    if wins or force:
        why = "forced" if force and not wins else "better"
        reason = f"{why}: {metric}={score:.4f} on {context} vs {versus}"
        registry.promote_to_champion(client, name, version, reason)
        return DeploymentDecision(
            promoted=True,
            champion_version=version,
            previous_version=old,
            candidate_version=version,
            candidate_score=score,
            champion_score=champion_score,
            reason=reason,
            **common,
        )
    reason = f"kept champion: candidate {metric}={score:.4f} on {context} does not beat {versus}"
    client.set_registered_model_alias(name, registry.CHALLENGER, version)
    client.set_model_version_tag(name, version, "rejection_reason", reason)
    return DeploymentDecision(
        promoted=False,
        champion_version=old,
        candidate_version=version,
        candidate_score=score,
        champion_score=champion_score,
        reason=reason,
        **common,
    )
