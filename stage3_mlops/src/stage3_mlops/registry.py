"""Model-registry helpers: register a run's model, move aliases, and keep the alias history.

Stages are deprecated in MLflow 3; aliases (``champion``, ``challenger``) are the registry's
way. The list of past champions lives in the registered model's ``champion_history`` tag so a
rollback knows where to go; every promotion also tags the version with its reason.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "HISTORY_TAG",
    "champion_history",
    "get_alias_version",
    "promote_to_champion",
    "register_run_model",
    "set_champion_history",
]

CHAMPION = "champion"
CHALLENGER = "challenger"
HISTORY_TAG = "champion_history"


def get_alias_version(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version an alias points to, or None when the model or the alias does not exist."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def register_run_model(client: MlflowClient, name: str, run_id: str) -> ModelVersion:
    """Register the run's logged model as a new version (or return the version that exists)."""
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(
            name, description="Recommender promoted by stage3_mlops (aliases: champion, challenger)"
        )
    existing = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    if existing:
        return max(existing, key=lambda v: int(v.version))
    model_uri = client.get_run(run_id).data.tags.get("stage3.model_uri", f"runs:/{run_id}/model")
    registered = mlflow.register_model(model_uri, name)
    return client.get_model_version(name, registered.version)


def champion_history(client: MlflowClient, name: str) -> list[str]:
    """Versions that have been champion, oldest first (the current champion is last)."""
    tags = client.get_registered_model(name).tags
    return [str(v) for v in json.loads(tags.get(HISTORY_TAG, "[]"))]


def set_champion_history(client: MlflowClient, name: str, history: list[str]) -> None:
    """Store the champion history on the registered model."""
    client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(history))


def promote_to_champion(client: MlflowClient, name: str, version: str, reason: str) -> None:
    """Point ``champion`` at ``version``, append it to the history, and record why."""
    version = str(version)
    client.set_registered_model_alias(name, CHAMPION, version)
    history = champion_history(client, name)
    history.append(version)
    set_champion_history(client, name, history)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    client.set_model_version_tag(name, version, "promoted_at", now)
    client.set_model_version_tag(name, version, "promotion_reason", reason[:4000])
