"""The roadmap's ``RecommendationMLOps``: one object for train, deploy, monitor, retrain, roll back.

It is a facade: each job lives in its own module and this class keeps the state between calls
(the tracking connection, buffered interactions, windows seen under the current champion).

=================  ===========================================================
job                module
=================  ===========================================================
connect            :mod:`stage3_mlops.tracking` (fails in seconds on a bad URI)
fit and score      :mod:`stage3_mlops.training`
record a run       :mod:`stage3_mlops.run_logging`
promote            :mod:`stage3_mlops.promotion`
roll back          :mod:`stage3_mlops.rollback`
load the champion  :mod:`stage3_mlops.champion`
monitor a window   :mod:`stage3_mlops.monitoring`
retrain            :mod:`stage3_mlops.retraining`
=================  ===========================================================

**Usage**::

    from stage3_mlops import GeneratorConfig, RecommendationMLOps, generate_interactions

    data = generate_interactions(GeneratorConfig(seed=0))
    mlops = RecommendationMLOps("recsys", tracking_uri="http://127.0.0.1:5000")
    mlops.train_model(data, None, {"model": "ease", "l2": 200})
    mlops.deploy_best_model(metric="ndcg_at_10")
    report = mlops.monitor_model_performance(next_week_of_interactions)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from mlflow.entities.model_registry import ModelVersion

from stage3_mlops import registry
from stage3_mlops.champion import ChampionLoader, seen_interactions
from stage3_mlops.config import MLOpsConfig
from stage3_mlops.data import INTERACTION_COLUMNS, validate_interactions
from stage3_mlops.errors import DataError, RegistryError
from stage3_mlops.metrics import RankingMetrics, evaluate_recommender
from stage3_mlops.models import Recommender
from stage3_mlops.monitoring import monitor_window
from stage3_mlops.promotion import deploy_best_run
from stage3_mlops.reports import (
    DeploymentDecision,
    MonitoringReport,
    RetrainingOutcome,
    TrainingResult,
)
from stage3_mlops.retraining import retrain_challenger
from stage3_mlops.rollback import rollback_champion
from stage3_mlops.run_logging import log_training_run
from stage3_mlops.tracking import connect
from stage3_mlops.training import CURVE_KS, fit_candidate

__all__ = ["CURVE_KS", "RecommendationMLOps"]


class RecommendationMLOps:
    """An MLOps loop around a top-k recommender, every step recorded in MLflow.

    ``X_train`` is an interactions DataFrame with columns ``user_id``, ``item_id``, ``timestamp``
    (implicit feedback: one row per user-item event). ``y_train`` is optional: per-row weights
    (e.g. ratings) or ``None`` for binary feedback. ``hyperparams`` names the model and its
    settings, e.g. ``{"model": "ease", "l2": 200}``; see :data:`stage3_mlops.models.MODEL_NAMES`.

    The constructor checks the tracking server first: a URI that refuses or never answers
    raises :class:`~stage3_mlops.errors.TrackingError` within seconds, naming the URI and the fix.
    """

    def __init__(
        self,
        experiment_name: str,
        *,
        tracking_uri: str | None = None,
        registered_model_name: str | None = None,
        config: MLOpsConfig | None = None,
    ) -> None:
        self.config = config or MLOpsConfig()
        self.tracking = connect(
            experiment_name,
            tracking_uri=tracking_uri,
            registered_model_name=registered_model_name,
            config=self.config,
        )
        self.tracking_uri = self.tracking.tracking_uri
        self.experiment_name = self.tracking.experiment_name
        self.experiment_id = self.tracking.experiment_id
        self.client = self.tracking.client
        self.model_name = self.tracking.model_name
        self._champion = ChampionLoader(self.tracking)
        self._pending: list[pd.DataFrame] = []
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
        candidate = fit_candidate(
            X_train, y_train, hyperparams, config=self.config, validation=validation
        )
        return log_training_run(self.tracking, candidate, self.config, tags=tags)

    # ============================================================== deployment
    def deploy_best_model(
        self, metric: str = "ndcg_at_10", *, force: bool = False
    ) -> DeploymentDecision:
        """Promote the experiment's best training run to ``champion`` if it beats the current one.

        The comparison uses each run's logged validation ``metric`` (higher is better unless the
        name says loss/error/seconds). ``force=True`` promotes even when it does not win. A losing
        candidate gets the ``challenger`` alias instead. The reason is tagged on the version.
        """
        return deploy_best_run(self.tracking, metric, force=force)

    def rollback(self) -> DeploymentDecision:
        """Point ``champion`` back at the previous champion; the history tag remembers the move."""
        return rollback_champion(self.tracking)

    def champion_version(self) -> str | None:
        """The registry version the ``champion`` alias points to (None before any deployment)."""
        return self._champion.version()

    def load_champion(self) -> Recommender:
        """The champion's recommender, loaded through MLflow (``models:/<name>@champion``)."""
        return self._champion.load()

    def evaluate(self, interactions: pd.DataFrame, *, k: int | None = None) -> RankingMetrics:
        """The champion's ranking metrics on ``interactions`` (items it has already seen excluded)."""
        frame = validate_interactions(interactions, name="interactions")
        model = self.load_champion()
        cut = k or self.config.k
        return evaluate_recommender(model, seen_interactions(model), frame, ks=(cut,))[cut]

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
        champion = self._require_champion("to monitor")
        observed = self._observed_since(str(champion.version))
        report = monitor_window(
            self.tracking, self.config, champion, self.load_champion(), window, observed
        )
        if report.drift_detected and retrain:
            report.retraining = self.retrain_if_needed(report, window)
        if self.champion_version() == str(champion.version):
            observed.append(window[list(INTERACTION_COLUMNS)])
        return report

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
        champion = self._require_champion("to retrain")
        return retrain_challenger(
            self.tracking,
            self.config,
            champion,
            self.load_champion(),
            window,
            self._observed_since(str(champion.version)),
            trigger=trigger,
        )

    # ================================================================ state
    def _require_champion(self, purpose: str) -> ModelVersion:
        champion = registry.get_alias_version(self.client, self.model_name, registry.CHAMPION)
        if champion is None:
            raise RegistryError(f"{self.model_name!r} has no champion {purpose}; deploy one first")
        return champion

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
