"""Models loaded once and cached; references re-resolved now and then so moved aliases reload."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stage5_api.errors import FeatureCountError
from stage5_api.services.registry import ModelRegistry

__all__ = ["LoadedModel", "ModelStore"]


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to serve: its version, expected width, and a batch predict function."""

    version: str
    n_features: int | None
    model: Any

    def check_width(self, n: int) -> None:
        """Raise FeatureCountError when a row has the wrong number of features."""
        if self.n_features is not None and n != self.n_features:
            raise FeatureCountError(self.n_features, n)

    def predict(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictions and confidences for a 2-D batch (confidence 1.0 without probabilities)."""
        model = self.model
        if hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(rows))
            best = proba.argmax(axis=1)
            classes = np.asarray(model.classes_, dtype=float)
            return classes[best], proba[np.arange(len(rows)), best]
        if hasattr(model, "n_features_in_"):  # a scikit-learn regressor
            preds = np.asarray(model.predict(rows), dtype=float).reshape(len(rows), -1)[:, 0]
        else:  # an MLflow pyfunc model wants a DataFrame
            frame = pd.DataFrame(rows, columns=[f"f{i}" for i in range(rows.shape[1])])
            preds = np.asarray(model.predict(frame), dtype=float).reshape(len(rows), -1)[:, 0]
        return preds, np.ones(len(rows))


def _width_of(model: Any) -> int | None:
    width = getattr(model, "n_features_in_", None)
    if width is not None:
        return int(width)
    metadata = getattr(model, "metadata", None)
    schema = metadata.get_input_schema() if metadata is not None else None
    return len(schema.inputs) if schema is not None else None


class ModelStore:
    """Resolves ``model_version`` references and keeps every loaded version in memory.

    References are cached for ``refresh_s`` seconds: within that window a request costs no
    registry call; after it, ``champion`` is asked again and a moved alias loads the new version
    (hot reload) while requests already holding the old model finish with it.
    """

    def __init__(self, registry: ModelRegistry, *, refresh_s: float = 10.0) -> None:
        self.registry = registry
        self.refresh_s = refresh_s
        self._refs: dict[str, tuple[str, float]] = {}
        self._models: dict[str, LoadedModel] = {}
        self._lock = asyncio.Lock()
        self._resolving: dict[str, asyncio.Task[LoadedModel]] = {}
        self.default: LoadedModel | None = None

    @property
    def loaded_versions(self) -> list[str]:
        """Versions currently in memory."""
        return sorted(self._models)

    async def get(self, ref: str) -> LoadedModel:
        """The model a reference names (raises ModelNotFound for unknown references)."""
        model = self._fresh(ref)
        if model is not None:
            return model
        # every request that finds ``ref`` stale awaits one shared resolution, and all of them
        # wake together when it is done. (An asyncio.Lock here handed the refresh over one
        # waiter per event-loop turn: with 500 requests in flight per worker, every refresh
        # stalled the worker for 0.3-2 s; README, "The tail with 1000 in flight".)
        task = self._resolving.get(ref)
        if task is None:
            task = asyncio.create_task(self._resolve(ref), name=f"resolve-{ref}")
            self._resolving[ref] = task
            task.add_done_callback(lambda _t: self._resolving.pop(ref, None))
        return await asyncio.shield(task)  # one cancelled request does not cancel the others

    async def _resolve(self, ref: str) -> LoadedModel:
        async with self._lock:  # one load per version, even when two references name it
            version = await asyncio.to_thread(self.registry.resolve, ref)
            self._refs[ref] = (version, time.monotonic() + self.refresh_s)
            model = self._models.get(version)
            if model is None:
                raw = await asyncio.to_thread(self.registry.load, version)
                model = LoadedModel(version=version, n_features=_width_of(raw), model=raw)
                self._models[version] = model
            return model

    def _fresh(self, ref: str) -> LoadedModel | None:
        cached = self._refs.get(ref)
        if cached is not None and cached[1] > time.monotonic():
            return self._models.get(cached[0])
        return None

    async def load_default(self) -> LoadedModel:
        """Load ``latest`` at startup, so readiness is true only once a model can answer."""
        self.default = await self.get("latest")
        return self.default
