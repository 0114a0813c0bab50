"""What a training run records in MLflow, and reading its training data back for retraining.

Everything is computed first, then logged in a handful of requests: on a busy server each
request costs, and one batch per kind keeps a run to about a dozen of them.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the plot is an MLflow artefact, never a window

import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from mlflow.entities import Metric, Param, RunTag

from stage3_mlops import drift
from stage3_mlops.config import MLOpsConfig
from stage3_mlops.errors import ModelError
from stage3_mlops.metrics import RankingMetrics
from stage3_mlops.pyfunc import log_recommender
from stage3_mlops.reports import TrainingResult
from stage3_mlops.tracking import TrackingContext
from stage3_mlops.training import FittedCandidate

__all__ = ["KIND_TAG", "load_training_data", "log_training_run"]

KIND_TAG = "stage3.kind"  # "train" or "monitor": how deployment finds the training runs


def log_training_run(
    ctx: TrackingContext,
    candidate: FittedCandidate,
    config: MLOpsConfig,
    *,
    tags: dict[str, str] | None = None,
) -> TrainingResult:
    """One MLflow run: params, metrics and per-k curves, datasets, plot, profile, data, model."""
    with mlflow.start_run(
        experiment_id=ctx.experiment_id,
        run_name=f"{candidate.model_type}-{time.strftime('%H%M%S')}",
        tags={KIND_TAG: "train", "model_type": candidate.model_type, **(tags or {})},
    ) as run:
        metrics = _log_batch(ctx, run.info.run_id, candidate, config)
        _log_datasets(candidate.train, candidate.validation)
        _log_files(candidate.scores, candidate.full, config.window_days)
        info = log_recommender(candidate.model, k=config.k)
        mlflow.set_tag("stage3.model_uri", info.model_uri)
    return TrainingResult(
        run_id=run.info.run_id,
        model_uri=info.model_uri,
        model_type=candidate.model_type,
        hyperparams=candidate.params,
        metrics=metrics,
        train_seconds=candidate.train_seconds,
    )


def _log_batch(
    ctx: TrackingContext, run_id: str, candidate: FittedCandidate, config: MLOpsConfig
) -> dict[str, float]:
    """Params, tags, headline metrics and the per-k curves in one request."""
    scores = candidate.scores
    headline = scores.get(config.k) or scores[max(scores)]
    metrics = {
        **headline.as_mlflow(),
        "validation_users": float(headline.users),
        "train_seconds": candidate.train_seconds,
    }
    now = int(time.time() * 1000)
    batch = [Metric(name, float(value), now, 0) for name, value in metrics.items()]
    for k, result in scores.items():  # the per-k curves: one metric per name, step = k
        values = result.model_dump(exclude={"k", "users"})
        batch += [Metric(f"{name}_at_k", float(v), now, k) for name, v in values.items()]
    train = candidate.train
    all_params = {
        "model": candidate.model_type,
        **candidate.params,
        "k": config.k,
        "validation_days": config.window_days,
        "refit_on_full": config.refit_on_full,
        "train_rows": len(train),
        "train_users": train["user_id"].nunique(),
        "train_items": train["item_id"].nunique(),
        "train_end": str(train["timestamp"].max()),
    }
    ctx.client.log_batch(
        run_id,
        metrics=batch,
        params=[Param(key, str(value)) for key, value in all_params.items()],
        tags=[RunTag("stage3.hyperparams", json.dumps(candidate.params))],
    )
    return metrics


def _log_datasets(train: pd.DataFrame, valid: pd.DataFrame) -> None:
    datasets = [
        mlflow.data.from_pandas(frame, name=f"interactions-{context}")  # type: ignore[attr-defined]
        for frame, context in ((train, "training"), (valid, "validation"))
    ]
    mlflow.log_inputs(
        datasets=datasets, contexts=["training", "validation"], tags_list=[None, None]
    )


def _log_files(scores: dict[int, RankingMetrics], full: pd.DataFrame, window_days: float) -> None:
    """The curve plot, the drift reference profile and the training data, in one upload."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fig, ax = plt.subplots(figsize=(6, 4))
        for name in ("precision", "recall", "ndcg", "map", "hit_rate"):
            values = [getattr(scores[k], name) for k in scores]
            ax.plot(list(scores), values, marker="o", label=name)
        ax.set_xlabel("k")
        ax.set_ylabel("validation score")
        ax.set_title("Ranking metrics at k")
        ax.legend()
        fig.savefig(folder / "metrics_at_k.png", dpi=90)
        plt.close(fig)
        window = pd.Timedelta(days=window_days)
        reference = full[full["timestamp"] > full["timestamp"].max() - window]
        profile = drift.profile_window(reference).model_dump_json()
        (folder / "reference_profile.json").write_text(profile, encoding="utf-8")
        (folder / "data").mkdir()
        full.to_parquet(folder / "data" / "interactions.parquet", index=False)
        mlflow.log_artifacts(str(folder))


def load_training_data(run_id: str) -> pd.DataFrame:
    """The interactions a run was trained on (logged as a parquet artefact by the run)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(
            f"runs:/{run_id}/data/interactions.parquet", dst_path=tmp
        )
        frame = pd.read_parquet(path)
    if "weight" not in frame.columns:
        raise ModelError(f"run {run_id} has no usable training data artefact")
    return frame
