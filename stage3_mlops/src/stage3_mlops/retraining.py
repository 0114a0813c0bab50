"""Retrain a challenger on the champion's data plus recent windows; promote it only if it wins.

The recent window is cut in two by time: the first half joins the training data and the second
half is the common test, so the challenger and the champion are judged on rows neither was
trained on.
"""

from __future__ import annotations

import json

import pandas as pd
from mlflow.entities.model_registry import ModelVersion

from stage3_mlops.config import MLOpsConfig
from stage3_mlops.data import INTERACTION_COLUMNS
from stage3_mlops.metrics import evaluate_recommender
from stage3_mlops.models import Recommender
from stage3_mlops.preprocess import time_split
from stage3_mlops.promotion import decide_promotion
from stage3_mlops.reports import RetrainingOutcome
from stage3_mlops.run_logging import load_training_data, log_training_run
from stage3_mlops.tracking import TrackingContext
from stage3_mlops.training import fit_candidate

__all__ = ["retrain_challenger"]


def retrain_challenger(
    ctx: TrackingContext,
    config: MLOpsConfig,
    champion: ModelVersion,
    champion_model: Recommender,
    window: pd.DataFrame,
    observed: list[pd.DataFrame],
    *,
    trigger: str = "manual",
) -> RetrainingOutcome:
    """Train with the champion's model type and settings, then let the promotion rule decide.

    ``observed`` are earlier windows seen under this champion; they join the training data.
    """
    columns = list(INTERACTION_COLUMNS)
    run = ctx.client.get_run(str(champion.run_id))
    params = json.loads(run.data.tags.get("stage3.hyperparams", "{}"))
    params["model"] = run.data.tags.get("model_type", "ease")
    history = load_training_data(str(champion.run_id))[columns]
    first, second = time_split(window, config.window_days / 2)
    train_frame = pd.concat([history, *observed, first[columns]], ignore_index=True)
    metric = f"ndcg_at_{config.k}"
    champ_score = evaluate_recommender(
        champion_model, train_frame, second, ks=(config.k,), exclude_history=True
    )[config.k].ndcg
    candidate = fit_candidate(train_frame, None, params, config=config, validation=second)
    tags = {"stage3.trigger": trigger[:500], "stage3.parent_version": str(champion.version)}
    result = log_training_run(ctx, candidate, config, tags=tags)
    decision = decide_promotion(
        ctx,
        result.run_id,
        metric,
        result.metrics[metric],
        champ_score,
        context=f"the window after {first['timestamp'].max()}",
    )
    return RetrainingOutcome(
        challenger_run_id=result.run_id,
        metric=metric,
        challenger_score=result.metrics[metric],
        champion_score=champ_score,
        decision=decision,
    )
