"""Dynamic micro-batching with admission control, as BentoML and Triton do it.

Requests wait up to ``max_wait_s`` (0 = one turn of the event loop) for company, then one model
call answers up to ``max_size`` of them. A full queue answers at once with Overloaded (503 +
Retry-After) so that requests already accepted keep their latency instead of every request
timing out. The Redis cache is consulted only for models whose measured call time is at least
``cache_min_model_s``: for a cheap model an MGET round trip costs more than the model call it
would save (the README's benchmark section says how that was found).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import numpy as np
import orjson

from stage5_api.errors import Overloaded
from stage5_api.services.cache import PredictionCache, cache_key
from stage5_api.services.metrics import ServiceMetrics
from stage5_api.services.model_store import LoadedModel

__all__ = ["MicroBatcher", "Prediction"]


@dataclass(frozen=True, slots=True)
class Prediction:
    """One row's answer."""

    prediction: float
    confidence: float


@dataclass(slots=True)
class _Pending:
    model: LoadedModel
    row: list[float]
    future: asyncio.Future[Prediction]


class MicroBatcher:
    """One queue and one background task per process; batches are split by model version."""

    def __init__(
        self,
        metrics: ServiceMetrics,
        cache: PredictionCache | None = None,
        *,
        max_size: int = 64,
        max_wait_s: float = 0.0,
        max_queue: int = 2000,
        retry_after_s: int = 1,
        cache_prefix: str = "stage5:pred:",
        cache_min_model_s: float = 0.001,
    ) -> None:
        self.metrics = metrics
        self.cache = cache
        self.max_size = max_size
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.retry_after_s = retry_after_s
        self.cache_prefix = cache_prefix
        self.cache_min_model_s = cache_min_model_s
        self._model_s: dict[str, float] = {}  # moving average of one model call, by version
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_progress: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def depth(self) -> int:
        """Requests waiting for a batch."""
        return len(self._pending)

    def start(self) -> None:
        """Start the batching task (from inside the running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Answer everything already queued, then stop (graceful shutdown drains)."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_progress:
            await asyncio.gather(*self._in_progress, return_exceptions=True)

    async def submit(self, model: LoadedModel, row: list[float]) -> Prediction:
        """Queue one row and wait for its batch; raises Overloaded when the queue is full."""
        if len(self._pending) >= self.max_queue:
            raise Overloaded(len(self._pending), self.max_queue, self.retry_after_s)
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(model, row, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            if not self._pending:
                if self._closing:
                    return
                self._wakeup.clear()
                continue
            if len(self._pending) < self.max_size and not self._closing:
                # wait_s == 0: yield once, so requests already readable join this batch
                await asyncio.sleep(self.max_wait_s)
            batch = self._pending[: self.max_size]
            del self._pending[: self.max_size]
            # set once per batch, not inc/dec per request: in multiprocess mode every gauge
            # write goes to an mmap file under a lock (py-spy: ~10% of a request's CPU)
            self.metrics.queue_depth.set(len(self._pending))
            # each batch is its own task: a batch waiting on Redis does not hold up the next one
            task = asyncio.create_task(self._answer_safely(batch))
            self._in_progress.add(task)
            task.add_done_callback(self._in_progress.discard)

    async def _answer_safely(self, batch: list[_Pending]) -> None:
        try:
            await self._answer(batch)
        except Exception as exc:  # a failing model must fail its requests, not the loop
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)

    async def _answer(self, batch: list[_Pending]) -> None:
        by_model: dict[str, list[_Pending]] = {}
        for item in batch:
            by_model.setdefault(item.model.version, []).append(item)
        for items in by_model.values():
            await self._answer_one_model(items)

    def cache_pays(self, version: str) -> bool:
        """True when a model call costs more than the cache round trip meant to save it."""
        if self.cache is None:
            return False
        if self.cache_min_model_s <= 0:
            return True
        return self._model_s.get(version, 0.0) >= self.cache_min_model_s

    def _timed_predict(self, model: LoadedModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        started = time.perf_counter()
        preds, confs = model.predict(rows)
        took = time.perf_counter() - started
        previous = self._model_s.get(model.version)
        self._model_s[model.version] = took if previous is None else 0.9 * previous + 0.1 * took
        return preds, confs

    async def _answer_one_model(self, items: list[_Pending]) -> None:
        model = items[0].model
        todo = items
        keys: list[str] = []
        use_cache = self.cache_pays(model.version)
        if use_cache:
            assert self.cache is not None
            keys = [cache_key(self.cache_prefix, model.version, it.row) for it in items]
            cached = await self.cache.get_many(keys)
            todo = []
            for item, value in zip(items, cached, strict=True):
                if value is None:
                    todo.append(item)
                elif not item.future.done():
                    pred, conf = orjson.loads(value)
                    item.future.set_result(Prediction(pred, conf))
        if not todo:
            return
        rows = np.asarray([it.row for it in todo], dtype=float)
        preds, confs = self._timed_predict(model, rows)
        self.metrics.batch_size.observe(len(todo))
        self.metrics.predictions.labels(model.version).inc(len(todo))
        fresh: dict[str, bytes] = {}
        key_of = dict(zip((id(it) for it in items), keys, strict=False))
        for item, pred, conf in zip(todo, preds.tolist(), confs.tolist(), strict=True):
            if not item.future.done():
                item.future.set_result(Prediction(pred, conf))
            if keys:
                fresh[key_of[id(item)]] = orjson.dumps([pred, conf])
        if use_cache:
            assert self.cache is not None
            await self.cache.set_many(fresh)
