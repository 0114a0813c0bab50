"""Garbage-collector settings for a server with ~1000 requests in flight, and its pause metric.

Measured (README, "The tail with 1000 in flight"): with Python's defaults the objects of
in-flight requests outlive the young generations, reach the oldest one and trigger full
collections that scan every object the process imported (FastAPI, scikit-learn, pandas ...):
pauses of 100–500 ms, seconds of GC per worker in a 10 s wrk run, and every request in flight
waits through each pause. Two standard remedies fix it: ``gc.freeze()`` once the model is
loaded (start-up objects leave the collector's view for good), and a larger young-generation
threshold so that request objects die before they are promoted.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Histogram

__all__ = ["GcTuning"]


@dataclass
class GcTuning:
    """Apply at start-up (after the model is loaded), restore at shutdown.

    ``gen0_threshold`` 0 keeps Python's default (700 allocations). With ``pauses`` every
    collection's duration is observed (label ``generation``), tuned or not, so the metric shows
    what the collector costs. The GC callback only appends to a list: a metric write takes
    prometheus-client's lock, and a collection can start while this thread holds it, so the
    list is moved into the histogram once a second from the event loop.
    """

    freeze: bool = True
    gen0_threshold: int = 20_000
    pauses: Histogram | None = None
    flush_every_s: float = 1.0
    _saved: tuple[int, ...] | None = field(default=None, init=False, repr=False)
    _started: float = field(default=0.0, init=False, repr=False)
    _pending: list[tuple[int, float]] = field(default_factory=list, init=False, repr=False)
    _timer: asyncio.TimerHandle | None = field(default=None, init=False, repr=False)

    def apply(self) -> None:
        """Collect once, freeze what survives, raise the young-generation threshold."""
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        if self.freeze:
            gc.collect()
            gc.freeze()
        if self.gen0_threshold > 0:
            gc.set_threshold(self.gen0_threshold, *self._saved[1:])
        if self.pauses is not None:
            gc.callbacks.append(self._record)
            self._schedule_flush()

    def restore(self) -> None:
        """Undo ``apply`` (in-process tests start and stop many apps in one interpreter)."""
        if self._saved is None:
            return
        if self._record in gc.callbacks:
            gc.callbacks.remove(self._record)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.flush()
        gc.set_threshold(*self._saved)
        if self.freeze:
            gc.unfreeze()
        self._saved = None

    def flush(self) -> None:
        """Move the recorded pauses into the histogram (outside any collection)."""
        pending, self._pending = self._pending, []
        if self.pauses is not None:
            for generation, seconds in pending:
                self.pauses.labels(str(generation)).observe(seconds)

    def _schedule_flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # applied outside an event loop: flush() is left to the caller
            return

        def tick() -> None:
            self.flush()
            self._timer = loop.call_later(self.flush_every_s, tick)

        self._timer = loop.call_later(self.flush_every_s, tick)

    def _record(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._pending.append((info["generation"], time.perf_counter() - self._started))
