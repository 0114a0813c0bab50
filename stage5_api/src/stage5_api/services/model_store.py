"""Models loaded once and cached; references re-resolved now and then so moved aliases reload.

A request that names no ``model_version`` gets the store's *default reference*
(``STAGE5_DEFAULT_MODEL_VERSION``, ``champion``): the version stage 3 promoted, not the newest
one registered (stage 3 registers every candidate, the rejected ones too).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stage5_api.errors import FeatureCountError, ModelNotFound, RegistryUnavailable, Stage5Error
from stage5_api.services.registry import ModelRegistry

__all__ = ["LoadedModel", "ModelStore", "signature_of"]

log = logging.getLogger(__name__)

_INTEGER_TYPES = ("integer", "long")  # MLflow schema type names


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to serve: its version, expected width, and a batch predict function.

    ``columns`` are the input names of an MLflow model's signature (``f0..`` without one) and
    ``integer_columns`` those the signature types as integers (a user id, say), so a pyfunc
    model gets the DataFrame its signature asks for.
    """

    version: str
    n_features: int | None
    model: Any
    columns: tuple[str, ...] = ()
    integer_columns: frozenset[str] = frozenset()

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
            frame = self._frame(rows)
            preds = _one_value_per_row(model.predict(frame), frame)
        return preds, np.ones(len(rows))

    def _frame(self, rows: np.ndarray) -> pd.DataFrame:
        names = list(self.columns) or [f"f{i}" for i in range(rows.shape[1])]
        frame = pd.DataFrame(rows, columns=names)
        for name in self.integer_columns:
            frame[name] = frame[name].round().astype(np.int64)
        return frame


def _one_value_per_row(output: Any, inputs: pd.DataFrame) -> np.ndarray:
    """One number per input row from a pyfunc's answer.

    A frame with one row per input answers with its ``prediction`` column, else its last column.
    A frame with several rows per input that repeats the input columns (a ranked list: stage 3's
    recommender answers ``user_id, rank, item_id`` for its top 10) answers with each input's
    first row, i.e. the top-ranked one.
    """
    if not isinstance(output, pd.DataFrame):
        return np.asarray(output, dtype=float).reshape(len(inputs), -1)[:, 0]
    column = "prediction" if "prediction" in output.columns else output.columns[-1]
    if len(output) == len(inputs):
        return output[column].to_numpy(dtype=float)
    keys = [c for c in inputs.columns if c in output.columns]
    if not keys:
        raise ValueError(
            f"the model answered {len(output)} rows for {len(inputs)} inputs without the input "
            "columns to match them: serve a model that answers one row per input"
        )
    top = output.drop_duplicates(subset=keys, keep="first")
    matched = inputs[keys].merge(top[[*keys, column]], on=keys, how="left")
    return matched[column].to_numpy(dtype=float)


def signature_of(model: Any) -> tuple[int | None, tuple[str, ...], frozenset[str]]:
    """A model's input width, column names and integer columns (scikit-learn or MLflow)."""
    width = getattr(model, "n_features_in_", None)
    if width is not None:
        return int(width), (), frozenset()
    metadata = getattr(model, "metadata", None)
    schema = metadata.get_input_schema() if metadata is not None else None
    if schema is None:
        return None, (), frozenset()
    names = tuple(str(n) for n in schema.input_names()) if schema.has_input_names() else ()
    integers = frozenset(
        str(name)
        for name, kind in zip(names, schema.input_types(), strict=False)
        if getattr(kind, "name", str(kind)) in _INTEGER_TYPES
    )
    return len(schema.inputs), names, integers


class ModelStore:
    """Resolves ``model_version`` references and keeps every loaded version in memory.

    A reference is cached for ``refresh_s`` seconds: within that window a request costs no
    registry call. After it, the next request still gets the cached model at once while one
    background task asks the registry again (stale-while-revalidate); a moved alias then loads
    the new version (hot reload) and the requests after it get it. No request waits on the
    registry except the very first for a reference. When the registry cannot be reached the
    cached version keeps serving; when it says the reference is gone, the reference is dropped.
    """

    def __init__(
        self, registry: ModelRegistry, *, refresh_s: float = 10.0, default_ref: str = "champion"
    ) -> None:
        self.registry = registry
        self.refresh_s = refresh_s
        self.default_ref = default_ref
        self._refs: dict[str, tuple[str, float]] = {}
        self._models: dict[str, LoadedModel] = {}
        self._lock = asyncio.Lock()
        self._resolving: dict[str, asyncio.Task[LoadedModel]] = {}
        # called with (old, new) when the default reference moves (the model-info metric)
        self.on_default_change: Callable[[str | None, str], None] | None = None

    @property
    def loaded_versions(self) -> list[str]:
        """Versions currently in memory."""
        return sorted(self._models)

    @property
    def default(self) -> LoadedModel | None:
        """The model the default reference named at its last resolution (None before it)."""
        cached = self._refs.get(self.default_ref)
        return self._models.get(cached[0]) if cached else None

    async def get(self, ref: str | None = None) -> LoadedModel:
        """The model a reference names (None: the default); raises ModelNotFound if unknown."""
        ref = ref or self.default_ref
        cached = self._refs.get(ref)
        if cached is not None:
            model = self._models.get(cached[0])
            if model is not None:
                if cached[1] <= time.monotonic():
                    self._resolution(ref)  # refresh in the background, answer with what we have
                return model
        # every request for an unknown ``ref`` awaits one shared resolution, and all of them
        # wake together when it is done. (An asyncio.Lock here handed the refresh over one
        # waiter per event-loop turn: with 500 requests in flight per worker, every refresh
        # stalled the worker for 0.3-2 s; README, "The tail with 1000 in flight".)
        return await asyncio.shield(self._resolution(ref))  # one cancelled request is not all

    def _resolution(self, ref: str) -> asyncio.Task[LoadedModel]:
        task = self._resolving.get(ref)
        if task is None:
            task = asyncio.create_task(self._resolve(ref), name=f"resolve-{ref}")
            self._resolving[ref] = task
            task.add_done_callback(lambda t: self._resolved(ref, t))
        return task

    def _resolved(self, ref: str, task: asyncio.Task[LoadedModel]) -> None:
        self._resolving.pop(ref, None)
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here, so a background failure is never "unhandled"
        if exc is not None and ref in self._refs:
            log.warning("re-resolving model reference %r failed: %s", ref, exc)

    async def _resolve(self, ref: str) -> LoadedModel:
        async with self._lock:  # one load per version, even when two references name it
            try:
                version = await asyncio.to_thread(self.registry.resolve, ref)
            except ModelNotFound:
                self._refs.pop(ref, None)  # the registry says it is gone: stop serving it
                raise
            except RegistryUnavailable:
                cached = self._refs.get(ref)
                if cached is not None:  # keep serving what we have; ask again later
                    self._refs[ref] = (cached[0], time.monotonic() + self.refresh_s)
                raise
            model = self._models.get(version)
            if model is None:
                raw = await asyncio.to_thread(self.registry.load, version)
                width, columns, integers = signature_of(raw)
                model = LoadedModel(version, width, raw, columns, integers)
                self._models[version] = model
            previous = self._refs.get(ref)
            self._refs[ref] = (version, time.monotonic() + self.refresh_s)
            old = previous[0] if previous else None
            if ref == self.default_ref and old != version:
                log.info("default model %r moved: %s -> %s", ref, old, version)
                if self.on_default_change is not None:
                    self.on_default_change(old, version)
            return model

    async def load_default(self) -> LoadedModel:
        """Load the default reference at startup, so readiness is true only once it can answer."""
        try:
            return await self.get(None)
        except ModelNotFound as exc:
            raise Stage5Error(
                f"the default model_version {self.default_ref!r} does not exist in the registry: "
                "promote a version to it (stage 3: deploy_best_model sets champion) or set "
                "STAGE5_DEFAULT_MODEL_VERSION to a version or alias that exists"
            ) from exc

    async def wait_refreshed(self) -> None:
        """Wait for background re-resolutions under way (tests, and a clean shutdown)."""
        pending = list(self._resolving.values())
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
