"""Judge one window of new interactions against the champion, and log the verdict as a run.

Four statistics, each with a threshold from :class:`~stage3_mlops.config.DriftThresholds`:
item-popularity drift (JS distance above its noise floor), user-activity drift (PSI; KS is
reported only), the share of traffic on items the champion never saw, and the drop of the
champion's online NDCG against its validation NDCG. Reacting (retraining) is the caller's job.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow.entities.model_registry import ModelVersion

from stage3_mlops import drift
from stage3_mlops.champion import seen_interactions
from stage3_mlops.config import MLOpsConfig
from stage3_mlops.metrics import evaluate_recommender
from stage3_mlops.models import Recommender
from stage3_mlops.reports import MonitoringReport
from stage3_mlops.run_logging import KIND_TAG
from stage3_mlops.tracking import TrackingContext

__all__ = ["monitor_window"]


def monitor_window(
    ctx: TrackingContext,
    config: MLOpsConfig,
    champion: ModelVersion,
    model: Recommender,
    window: pd.DataFrame,
    observed: list[pd.DataFrame],
) -> MonitoringReport:
    """Drift statistics and online metrics of ``window``; logged as a ``monitor`` run.

    ``observed`` are the windows already monitored under this champion: their items count as
    consumed, so the online metric does not reward recommending what a user already took.
    """
    champion_run = ctx.client.get_run(str(champion.run_id))
    reference = drift.WindowProfile.model_validate(
        mlflow.artifacts.load_dict(f"runs:/{champion.run_id}/reference_profile.json")
    )
    current = drift.profile_window(window)
    k = config.k
    consumed = pd.concat([seen_interactions(model), *observed], ignore_index=True)
    online = evaluate_recommender(model, consumed, window, ks=(k,), exclude_history=True)[k]
    baseline = float(champion_run.data.metrics.get(f"ndcg_at_{k}", 0.0))
    drop = 1.0 - online.ndcg / baseline if baseline > 0 else 0.0
    thresholds = config.drift
    stats = {
        "item_popularity_js_excess": drift.item_popularity_js_excess(reference, current),
        "user_activity_psi": drift.user_activity_psi(reference, current),
        "new_item_share": drift.new_item_share(window, model.item_ids),
        "performance_drop": drop,
    }
    limits = {
        "item_popularity_js_excess": thresholds.item_popularity_js_excess,
        "user_activity_psi": thresholds.user_activity_psi,
        "new_item_share": thresholds.new_item_share,
        "performance_drop": thresholds.performance_drop,
    }
    enough = len(window) >= config.min_window_interactions
    alarms = [
        f"{name}={value:.3f} > {limits[name]}"
        for name, value in stats.items()
        if enough and value > limits[name]
    ]
    report = MonitoringReport(
        champion_version=str(champion.version),
        window_start=current.start,
        window_end=current.end,
        interactions=len(window),
        item_popularity_js=drift.item_popularity_js(reference, current),
        item_popularity_js_excess=stats["item_popularity_js_excess"],
        user_activity_psi=stats["user_activity_psi"],
        user_activity_ks=drift.user_activity_ks(reference, current)[0],
        new_item_share=stats["new_item_share"],
        online_metrics=online.as_mlflow(),
        baseline_ndcg=baseline,
        performance_drop=drop,
        alarms=alarms,
        drift_detected=bool(alarms),
        enough_data=enough,
    )
    with mlflow.start_run(
        experiment_id=ctx.experiment_id,
        run_name=f"monitor-{current.end[:10]}",
        tags={KIND_TAG: "monitor", "drift_detected": str(report.drift_detected)},
    ) as run:
        mlflow.log_metrics(
            {
                **stats,
                "item_popularity_js": report.item_popularity_js,
                "user_activity_ks": report.user_activity_ks,
            }
        )
        mlflow.log_metrics({f"online_{n}": v for n, v in online.as_mlflow().items()})
        mlflow.log_param("champion_version", str(champion.version))
        report.monitor_run_id = run.info.run_id
        mlflow.log_dict(report.model_dump(), "monitoring_report.json")
    return report
