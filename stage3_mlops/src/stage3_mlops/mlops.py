"""The roadmap's ``RecommendationMLOps``: train, deploy, monitor, retrain and roll back with MLflow.

**Usage**::

    from stage3_mlops import GeneratorConfig, RecommendationMLOps, generate_interactions

    data = generate_interactions(GeneratorConfig(seed=0))
    mlops = RecommendationMLOps("recsys", tracking_uri="http://127.0.0.1:5000")
    mlops.train_model(data, None, {"model": "ease", "l2": 200})
    mlops.deploy_best_model(metric="ndcg_at_10")
    report = mlops.monitor_model_performance(next_week_of_interactions)
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: the plot is an MLflow artefact, never a window

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from stage3_mlops import drift, registry
from stage3_mlops.config import MLOpsConfig
from stage3_mlops.data import INTERACTION_COLUMNS as drift_columns
from stage3_mlops.data import validate_interactions
from stage3_mlops.errors import DataError, ModelError, RegistryError
from stage3_mlops.metrics import RankingMetrics, evaluate_recommender
from stage3_mlops.models import Recommender, create_recommender
from stage3_mlops.preprocess import build_matrix, time_split
from stage3_mlops.pyfunc import RecommenderPyfunc, log_recommender
from stage3_mlops.reports import (
    DeploymentDecision,
    MonitoringReport,
    RetrainingOutcome,
    TrainingResult,
)

__all__ = ["CURVE_KS", "RecommendationMLOps"]

CURVE_KS = (1, 3, 5, 10, 20)  # cut-offs of the per-k curves logged with every run
_KIND = "stage3.kind"
_LOWER_IS_BETTER = ("loss", "rmse", "mae", "error", "seconds")


class RecommendationMLOps:
    """An MLOps loop around a top-k recommender, every step recorded in MLflow.

    ``X_train`` is an interactions DataFrame with columns ``user_id``, ``item_id``, ``timestamp``
    (implicit feedback: one row per user-item event). ``y_train`` is optional: per-row weights
    (e.g. ratings) or ``None`` for binary feedback. ``hyperparams`` names the model and its
    settings, e.g. ``{"model": "ease", "l2": 200}``; see :data:`stage3_mlops.models.MODEL_NAMES`.
    """

    def __init__(
        self,
        experiment_name: str,
        *,
        tracking_uri: str | None = None,
        registered_model_name: str | None = None,
        config: MLOpsConfig | None = None,
    ) -> None:
        if not experiment_name:
            raise ValueError("experiment_name must be a non-empty string, e.g. 'recsys'")
        if tracking_uri:
            mlflow.set_tracking_uri(tracking_uri)
        self.tracking_uri = mlflow.get_tracking_uri()
        self.experiment_name = experiment_name
        self.experiment_id = mlflow.set_experiment(experiment_name).experiment_id
        self.client = MlflowClient(tracking_uri=self.tracking_uri)
        self.model_name = registered_model_name or f"{experiment_name}-recommender"
        self.config = config or MLOpsConfig()
        self._pending: list[pd.DataFrame] = []
        self._loaded: dict[
            str, Recommender
        ] = {}  # registry version → model (versions are immutable)
        # windows monitored since the current champion was trained: (champion version, frames)
        self._observed: tuple[str | None, list[pd.DataFrame]] = (None, [])

    # ================================================================ training
    def train_model(
        self,
        X_train: pd.DataFrame,
        y_train: pd.Series | np.ndarray | None = None,
        hyperparams: dict[str, Any] | None = None,
        *,
        validation: pd.DataFrame | None = None,
        tags: dict[str, str] | None = None,
    ) -> TrainingResult:
        """Train one recommender as one MLflow run and return where it is and how it scored.

        Without ``validation`` the last ``config.window_days`` of ``X_train`` validate (a global
        time cut-off, so no future leaks into training). With ``refit_on_full`` the logged model is
        refit on everything once scored. Logged: params, metrics at k (and per-k curves as steps),
        dataset inputs, a curve plot, the reference window profile, the training data and the
        pyfunc model with signature and input example.
        """
        frame = validate_interactions(X_train, name="X_train")
        frame["weight"] = self._weights(y_train, len(frame))
        params = dict(hyperparams or {})
        model_type = str(params.pop("model", "ease"))
        create_recommender(model_type, **params)  # fail before a run exists when params are bad
        if validation is None:
            train_part, valid_part = time_split(frame, self.config.window_days)
            full = frame
        else:
            valid_part = validate_interactions(validation, name="validation")
            valid_part["weight"] = 1.0
            train_part = frame
            full = pd.concat([frame, valid_part], ignore_index=True)
        started = time.perf_counter()
        model = self._fit(model_type, params, train_part)
        train_seconds = time.perf_counter() - started
        scores = evaluate_recommender(model, train_part, valid_part, ks=CURVE_KS)
        if self.config.refit_on_full:
            model = self._fit(model_type, params, full)
        # everything is computed first, then logged in a handful of requests: on a busy server
        # each request costs, and one batch per kind keeps a run to about a dozen of them
        with mlflow.start_run(
            experiment_id=self.experiment_id,
            run_name=f"{model_type}-{time.strftime('%H%M%S')}",
            tags={_KIND: "train", "model_type": model_type, **(tags or {})},
        ) as run:
            metrics = self._log_batch(
                run.info.run_id, model_type, params, scores, train_part, train_seconds
            )
            self._log_datasets(train_part, valid_part)
            self._log_files(scores, full)
            info = log_recommender(model, k=self.config.k)
            mlflow.set_tag("stage3.model_uri", info.model_uri)
        return TrainingResult(
            run_id=run.info.run_id,
            model_uri=info.model_uri,
            model_type=model_type,
            hyperparams=params,
            metrics=metrics,
            train_seconds=train_seconds,
        )

    @staticmethod
    def _weights(y_train: pd.Series | np.ndarray | None, n_rows: int) -> np.ndarray:
        if y_train is None:
            return np.ones(n_rows)
        weights = np.asarray(y_train, dtype=float)
        if weights.shape != (n_rows,):
            raise DataError(
                f"y_train must hold one weight per X_train row ({n_rows}), got shape {weights.shape}; "
                "pass None for binary implicit feedback"
            )
        return weights

    @staticmethod
    def _fit(model_type: str, params: dict[str, Any], frame: pd.DataFrame) -> Recommender:
        weights = None if bool((frame["weight"] == 1.0).all()) else frame["weight"]
        return create_recommender(model_type, **params).fit(build_matrix(frame, weights))

    @property
    def _window(self) -> pd.Timedelta:
        return pd.Timedelta(days=self.config.window_days)

    def _log_batch(
        self,
        run_id: str,
        model_type: str,
        params: dict[str, Any],
        scores: dict[int, RankingMetrics],
        train: pd.DataFrame,
        train_seconds: float,
    ) -> dict[str, float]:
        """Params, tags, headline metrics and the per-k curves in one request."""
        headline = scores.get(self.config.k) or scores[max(scores)]
        metrics = {
            **headline.as_mlflow(),
            "validation_users": float(headline.users),
            "train_seconds": train_seconds,
        }
        now = int(time.time() * 1000)
        batch = [Metric(name, float(value), now, 0) for name, value in metrics.items()]
        for k, result in scores.items():  # the per-k curves: one metric per name, step = k
            values = result.model_dump(exclude={"k", "users"})
            batch += [Metric(f"{name}_at_k", float(v), now, k) for name, v in values.items()]
        all_params = {
            "model": model_type,
            **params,
            "k": self.config.k,
            "validation_days": self.config.window_days,
            "refit_on_full": self.config.refit_on_full,
            "train_rows": len(train),
            "train_users": train["user_id"].nunique(),
            "train_items": train["item_id"].nunique(),
            "train_end": str(train["timestamp"].max()),
        }
        self.client.log_batch(
            run_id,
            metrics=batch,
            params=[Param(key, str(value)) for key, value in all_params.items()],
            tags=[RunTag("stage3.hyperparams", json.dumps(params))],
        )
        return metrics

    @staticmethod
    def _log_datasets(train: pd.DataFrame, valid: pd.DataFrame) -> None:
        datasets = [
            mlflow.data.from_pandas(frame, name=f"interactions-{context}")  # type: ignore[attr-defined]
            for frame, context in ((train, "training"), (valid, "validation"))
        ]
        mlflow.log_inputs(
            datasets=datasets, contexts=["training", "validation"], tags_list=[None, None]
        )

    def _log_files(self, scores: dict[int, RankingMetrics], full: pd.DataFrame) -> None:
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
            reference = full[full["timestamp"] > full["timestamp"].max() - self._window]
            profile = drift.profile_window(reference).model_dump_json()
            (folder / "reference_profile.json").write_text(profile, encoding="utf-8")
            (folder / "data").mkdir()
            full.to_parquet(folder / "data" / "interactions.parquet", index=False)
            mlflow.log_artifacts(str(folder))

    # ============================================================== deployment
    def deploy_best_model(
        self, metric: str = "ndcg_at_10", *, force: bool = False
    ) -> DeploymentDecision:
        """Promote the experiment's best training run to ``champion`` if it beats the current one.

        The comparison uses each run's logged validation ``metric`` (higher is better unless the
        name says loss/error/seconds). ``force=True`` promotes even when it does not win. A losing
        candidate gets the ``challenger`` alias instead. The reason is tagged on the version.
        """
        higher = not any(word in metric for word in _LOWER_IS_BETTER)
        runs = self.client.search_runs(
            [self.experiment_id],
            filter_string=f"tags.`{_KIND}` = 'train' and attributes.status = 'FINISHED'",
            max_results=1000,
        )
        scored = [r for r in runs if metric in r.data.metrics]
        if not scored:
            known = sorted({m for r in runs for m in r.data.metrics})
            raise RegistryError(
                f"no finished training run in {self.experiment_name!r} logged {metric!r}; "
                f"train a model first or pick one of {known}"
            )
        best = (max if higher else min)(scored, key=lambda r: r.data.metrics[metric])
        score = float(best.data.metrics[metric])
        return self._decide(best.info.run_id, metric, score, None, higher=higher, force=force)

    def _decide(
        self,
        run_id: str,
        metric: str,
        score: float,
        champion_score: float | None,
        *,
        higher: bool = True,
        force: bool = False,
        context: str = "validation",
    ) -> DeploymentDecision:
        champion = registry.get_alias_version(self.client, self.model_name, registry.CHAMPION)
        if champion is not None and champion_score is None:
            champion_score = self.client.get_run(str(champion.run_id)).data.metrics.get(metric)
        if champion is not None and champion.run_id == run_id:
            return DeploymentDecision(
                promoted=False,
                model_name=self.model_name,
                champion_version=str(champion.version),
                candidate_version=str(champion.version),
                candidate_run_id=run_id,
                metric=metric,
                candidate_score=score,
                champion_score=champion_score,
                reason=f"run {run_id} is already the champion (v{champion.version})",
            )
        wins = champion_score is None or (
            score > champion_score if higher else score < champion_score
        )
        version = registry.register_run_model(self.client, self.model_name, run_id)
        old = str(champion.version) if champion else None
        versus = (
            "no champion yet" if champion is None else f"champion v{old} {metric}={champion_score}"
        )
        if wins or force:
            why = "forced" if force and not wins else "better"
            reason = f"{why}: {metric}={score:.4f} on {context} vs {versus}"
            registry.promote_to_champion(self.client, self.model_name, str(version.version), reason)
            return DeploymentDecision(
                promoted=True,
                model_name=self.model_name,
                champion_version=str(version.version),
                previous_version=old,
                candidate_version=str(version.version),
                candidate_run_id=run_id,
                metric=metric,
                candidate_score=score,
                champion_score=champion_score,
                reason=reason,
            )
        reason = (
            f"kept champion: candidate {metric}={score:.4f} on {context} does not beat {versus}"
        )
        self.client.set_registered_model_alias(
            self.model_name, registry.CHALLENGER, str(version.version)
        )
        self.client.set_model_version_tag(
            self.model_name, str(version.version), "rejection_reason", reason
        )
        return DeploymentDecision(
            promoted=False,
            model_name=self.model_name,
            champion_version=old,
            candidate_version=str(version.version),
            candidate_run_id=run_id,
            metric=metric,
            candidate_score=score,
            champion_score=champion_score,
            reason=reason,
        )

    def rollback(self) -> DeploymentDecision:
        """Point ``champion`` back at the previous champion; the history tag remembers the move."""
        current = registry.get_alias_version(self.client, self.model_name, registry.CHAMPION)
        if current is None:
            raise RegistryError(f"{self.model_name!r} has no champion; deploy a model first")
        history = registry.champion_history(self.client, self.model_name)
        while history and history[-1] == str(current.version):
            history.pop()
        if not history:
            raise RegistryError(
                f"{self.model_name!r} has no previous champion to roll back to "
                f"(v{current.version} is the only one ever promoted)"
            )
        previous = history[-1]
        self.client.set_registered_model_alias(self.model_name, registry.CHAMPION, previous)
        registry.set_champion_history(self.client, self.model_name, history)
        reason = f"rolled back from v{current.version} to v{previous}"
        self.client.set_model_version_tag(
            self.model_name, str(current.version), "rolled_back", reason
        )
        self.client.set_registered_model_tag(self.model_name, "last_rollback", reason)
        return DeploymentDecision(
            promoted=True,
            model_name=self.model_name,
            champion_version=previous,
            previous_version=str(current.version),
            reason=reason,
        )

    def champion_version(self) -> str | None:
        """The registry version the ``champion`` alias points to (None before any deployment)."""
        version = registry.get_alias_version(self.client, self.model_name, registry.CHAMPION)
        return str(version.version) if version else None

    def load_champion(self) -> Recommender:
        """The champion's recommender, loaded through MLflow (``models:/<name>@champion``)."""
        version = self.champion_version()
        if version is None:
            raise RegistryError(f"{self.model_name!r} has no champion; run deploy_best_model first")
        if version not in self._loaded:
            model = mlflow.pyfunc.load_model(f"models:/{self.model_name}/{version}")
            wrapper = model.unwrap_python_model()
            if not isinstance(wrapper, RecommenderPyfunc):
                raise RegistryError(f"{self.model_name!r} v{version} is not a stage3 recommender")
            self._loaded[version] = wrapper.recommender
        return self._loaded[version]

    def evaluate(self, interactions: pd.DataFrame, *, k: int | None = None) -> RankingMetrics:
        """The champion's ranking metrics on ``interactions`` (items it has already seen excluded)."""
        frame = validate_interactions(interactions, name="interactions")
        model = self.load_champion()
        return evaluate_recommender(model, _seen_frame(model), frame, ks=(k or self.config.k,))[
            k or self.config.k
        ]

    # ============================================================== monitoring
    def record_interactions(self, interactions: pd.DataFrame) -> None:
        """Buffer new interactions; the next ``monitor_model_performance()`` call consumes them."""
        self._pending.append(validate_interactions(interactions, name="interactions"))

    def monitor_model_performance(
        self, recent_interactions: pd.DataFrame | None = None, *, retrain: bool = True
    ) -> MonitoringReport:
        """Compare a recent window with the champion's reference window and react to drift.

        Measures item-popularity drift (JS), user-activity drift (PSI; KS reported only), the share
        of traffic on items the champion never saw, and the champion's online NDCG against its
        validation NDCG. Logs all of it as a ``monitor`` run. When any threshold is passed and
        ``retrain`` is true, a challenger is trained and promoted only if it scores better.
        """
        window = self._take_window(recent_interactions)
        champion = registry.get_alias_version(self.client, self.model_name, registry.CHAMPION)
        if champion is None:
            raise RegistryError(f"{self.model_name!r} has no champion to monitor; deploy one first")
        model = self.load_champion()
        champion_run = self.client.get_run(str(champion.run_id))
        reference = drift.WindowProfile.model_validate(
            mlflow.artifacts.load_dict(f"runs:/{champion.run_id}/reference_profile.json")
        )
        current = drift.profile_window(window)
        k = self.config.k
        observed = self._observed_since(str(champion.version))
        consumed = pd.concat([_seen_frame(model), *observed], ignore_index=True)
        online = evaluate_recommender(model, consumed, window, ks=(k,), exclude_history=True)[k]
        baseline = float(champion_run.data.metrics.get(f"ndcg_at_{k}", 0.0))
        drop = 1.0 - online.ndcg / baseline if baseline > 0 else 0.0
        thresholds = self.config.drift
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
        enough = len(window) >= self.config.min_window_interactions
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
            experiment_id=self.experiment_id,
            run_name=f"monitor-{current.end[:10]}",
            tags={_KIND: "monitor", "drift_detected": str(report.drift_detected)},
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
        if report.drift_detected and retrain:
            report.retraining = self.retrain_if_needed(report, window)
        if self.champion_version() == str(champion.version):
            observed.append(window[list(drift_columns)])
        return report

    def _observed_since(self, version: str) -> list[pd.DataFrame]:
        """Windows seen since ``version`` became champion (reset whenever the champion changes)."""
        if self._observed[0] != version:
            self._observed = (version, [])
        return self._observed[1]

    def _take_window(self, recent: pd.DataFrame | None) -> pd.DataFrame:
        if recent is not None:
            return validate_interactions(recent, name="recent_interactions")
        if not self._pending:
            raise DataError(
                "no recent interactions to monitor: pass a window of interactions or call "
                "record_interactions() first"
            )
        window = pd.concat(self._pending, ignore_index=True)
        self._pending.clear()
        return window

    def retrain_if_needed(
        self, report: MonitoringReport, recent_interactions: pd.DataFrame
    ) -> RetrainingOutcome | None:
        """Retrain when ``report`` found drift (None otherwise); see :meth:`retrain`."""
        if not report.drift_detected:
            return None
        return self.retrain(recent_interactions, trigger="drift: " + "; ".join(report.alarms))

    def retrain(
        self, recent_interactions: pd.DataFrame, *, trigger: str = "manual"
    ) -> RetrainingOutcome:
        """Train a challenger on the champion's data plus the recent window; promote if it wins.

        The window's first half joins the training data and its second half is the common test:
        the challenger's validation NDCG is compared with the champion's NDCG on the same rows,
        so both models are judged on data neither was trained on.
        """
        window = validate_interactions(recent_interactions, name="recent_interactions")
        champion = registry.get_alias_version(self.client, self.model_name, registry.CHAMPION)
        if champion is None:
            raise RegistryError(f"{self.model_name!r} has no champion to retrain; deploy one first")
        run = self.client.get_run(str(champion.run_id))
        params = json.loads(run.data.tags.get("stage3.hyperparams", "{}"))
        params["model"] = run.data.tags.get("model_type", "ease")
        history = _load_training_data(str(champion.run_id))[list(drift_columns)]
        first, second = time_split(window, self.config.window_days / 2)
        observed = self._observed_since(str(champion.version))
        train_frame = pd.concat([history, *observed, first[list(drift_columns)]], ignore_index=True)
        metric = f"ndcg_at_{self.config.k}"
        champion_model = self.load_champion()
        champ_score = evaluate_recommender(
            champion_model, train_frame, second, ks=(self.config.k,), exclude_history=True
        )[self.config.k].ndcg
        result = self.train_model(
            train_frame,
            None,
            params,
            validation=second,
            tags={"stage3.trigger": trigger[:500], "stage3.parent_version": str(champion.version)},
        )
        decision = self._decide(
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


def _seen_frame(model: Recommender) -> pd.DataFrame:
    """The model's training interactions as (user_id, item_id) pairs (what it will not recommend)."""
    rows, cols = model.seen.nonzero()
    return pd.DataFrame({"user_id": model.user_ids[rows], "item_id": model.item_ids[cols]})


def _load_training_data(run_id: str) -> pd.DataFrame:
    """The interactions a run was trained on (logged as a parquet artefact by ``train_model``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(
            f"runs:/{run_id}/data/interactions.parquet", dst_path=tmp
        )
        frame = pd.read_parquet(path)
    if "weight" not in frame.columns:
        raise ModelError(f"run {run_id} has no usable training data artefact")
    return frame
