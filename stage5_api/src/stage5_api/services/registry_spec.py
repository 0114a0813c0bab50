"""A registry described by plain data, so a batch-job process can open the same one."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from stage5_api.services.registry import BundledRegistry, MlflowRegistry, ModelRegistry

__all__ = ["RegistrySpec", "open_registry"]


class RegistrySpec(BaseModel):
    """Which registry serves the models: the bundled one (``kind``) or MLflow (uri + name)."""

    source: Literal["bundled", "mlflow"]
    bundled_kind: str = "logreg"
    tracking_uri: str | None = None
    model_name: str | None = None


def open_registry(spec: RegistrySpec) -> ModelRegistry:
    """The registry a spec describes."""
    if spec.source == "mlflow":
        if not spec.tracking_uri or not spec.model_name:
            raise ValueError("an MLflow registry spec needs tracking_uri and model_name")
        return MlflowRegistry(spec.tracking_uri, spec.model_name)
    return BundledRegistry(spec.bundled_kind)
