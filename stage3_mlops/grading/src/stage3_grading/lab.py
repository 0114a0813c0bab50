"""The probes' side of a check: the learner's class on the grader's tracking server.

Only the roadmap interface is called (``RecommendationMLOps(experiment_name)`` and its four
methods); everything judged is read back from the tracking server (REST / ``MlflowClient``) or
from the registered model itself, never from the learner's objects or return values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import mlflow
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from gradekit.stages import GradeContext
from stage3_grading.recommendations import ranked_lists

__all__ = ["CHAMPION_ALIAS", "PRODUCTION_STAGE", "Champion", "Lab"]

CHAMPION_ALIAS = "champion"
PRODUCTION_STAGE = "Production"  # the deprecated stage-based promotion is read too


@dataclass(frozen=True)
class Champion:
    """The version a registered model serves, and how the registry says so."""

    model: str
    version: str
    run_id: str | None
    via: str  # "alias champion" or "stage Production"

    @property
    def serve_uri(self) -> str:
        """The URI a server of "whatever is deployed" is given."""
        if self.via.startswith("alias"):
            return f"models:/{self.model}@{CHAMPION_ALIAS}"
        return f"models:/{self.model}/{PRODUCTION_STAGE}"

    @property
    def version_uri(self) -> str:
        """This exact version (immutable)."""
        return f"models:/{self.model}/{self.version}"


class Lab:
    """The learner's implementation, pointed at the grader's tracking server."""

    def __init__(self, ctx: GradeContext, tracking_uri: str) -> None:
        self.ctx = ctx
        self.url = tracking_uri
        os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
        mlflow.set_tracking_uri(tracking_uri)
        self.client = MlflowClient(tracking_uri=tracking_uri)

    def mlops(self, experiment: str) -> Any:
        """``RecommendationMLOps(experiment)`` from the learner's module (the roadmap's signature)."""
        return self.ctx.load().RecommendationMLOps(experiment)

    def experiment_id(self, name: str) -> str | None:
        """The experiment's id, or None when the learner never created it."""
        found = self.client.get_experiment_by_name(name)
        return None if found is None else str(found.experiment_id)

    def runs(self, experiment_id: str) -> list[Any]:
        """Every run of the experiment (REST runs/search)."""
        return list(self.client.search_runs([experiment_id], max_results=2000))

    def logged_models(self, experiment_id: str) -> int:
        """Models logged in the experiment (MLflow 3 LoggedModels), plus runs' legacy models."""
        return len(self.client.search_logged_models(experiment_ids=[experiment_id]))

    def registered_model_of(self, experiment_id: str) -> str | None:
        """The registered model whose versions were made from this experiment's runs."""
        run_ids = {r.info.run_id for r in self.runs(experiment_id)}
        for model in self.client.search_registered_models(max_results=1000):
            for version in self.client.search_model_versions(f"name = '{model.name}'"):
                if version.run_id in run_ids:
                    return str(model.name)
        return None

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of ``model``, oldest first."""
        found = self.client.search_model_versions(f"name = '{model}'")
        return sorted(found, key=lambda v: int(v.version))

    def champion(self, model: str) -> Champion | None:
        """What ``model`` serves now: the ``champion`` alias, else the newest Production version."""
        try:
            version = self.client.get_model_version_by_alias(model, CHAMPION_ALIAS)
            return Champion(model, str(version.version), version.run_id, "alias champion")
        except MlflowException:
            pass
        production = [v for v in self.versions(model) if v.current_stage == PRODUCTION_STAGE]
        if production:
            latest = production[-1]
            return Champion(model, str(latest.version), latest.run_id, "stage Production")
        return None

    def predictions(self, model_uri: str, users: list[int], *, k: int) -> list[list[int]]:
        """The registered model's own answer (``mlflow.pyfunc``), one ranked list per user."""
        model = mlflow.pyfunc.load_model(model_uri)
        frame = pd.DataFrame({"user_id": pd.Series(users, dtype="int64")})
        try:
            output = model.predict(frame, params={"k": k})
        except MlflowException:  # a signature without a declared k: ask without it
            output = model.predict(frame)
        return ranked_lists(output, users)
