"""The upstream API the graded pipeline extracts from, under the grader's control.

It is the product's :class:`~stage4_pipelines.source.UpstreamServer` (same endpoints, same dirty
data, same random 5xx and truncated bodies) with what grading needs on top: faults scripted for
one day ("the first request of Jan 1 answers 503"), days corrupted on purpose, days republished
with late orders, and the truth of every day as served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

import pandas as pd

from stage4_grading.days import Corruption, DayTruth, corrupt, late_orders, truth_of
from stage4_pipelines.source import FaultConfig, UpstreamServer, generate_day
from stage4_pipelines.source.faults import Fault, FaultInjector

__all__ = ["GraderUpstream", "ScriptedInjector"]


class ScriptedInjector(FaultInjector):
    """The product's seeded fault stream, plus faults queued for the next requests of a day."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        super().__init__(config)
        self._scripted: dict[date, list[Fault]] = {}

    def script(self, day: date, *faults: Fault) -> None:
        """Serve ``faults`` to the next requests about ``day``, in order, then behave as usual."""
        with self._lock:
            self._scripted.setdefault(day, []).extend(faults)

    def draw(self, day: date) -> Fault:
        """The fault for one request about ``day``: a scripted one first, else the random plan."""
        with self._lock:
            queue = self._scripted.get(day)
            if queue:
                fault = queue.pop(0)
                self.counts[fault.value] += 1
                return fault
        return super().draw(day)


class GraderUpstream(UpstreamServer):
    """The upstream server with scripted faults, corrupted and republished days, and truths.

    **Usage**::

        with GraderUpstream(port=port, orders_per_day=80) as up:
            up.injector.script(day, Fault.HTTP_5XX)
            up.corruptions[bad_day] = Corruption.NULL_CUSTOMER
            truth = up.truth(day)
    """

    def __init__(
        self,
        *,
        port: int = 0,
        orders_per_day: int = 80,
        seed: int = 7,
        faults: FaultConfig | None = None,
        cache_days: int = 16,
    ) -> None:
        super().__init__(port=port, orders_per_day=orders_per_day, seed=seed, faults=faults)
        self.injector: ScriptedInjector = ScriptedInjector(faults)
        self.corruptions: dict[date, Corruption] = {}
        self.republished: dict[date, int] = {}
        """Days served with this many late orders added."""
        self._cache: OrderedDict[tuple[object, ...], dict[str, pd.DataFrame]] = OrderedDict()
        self._bodies: dict[tuple[object, ...], tuple[bytes, int]] = {}
        self._cache_days = cache_days
        self._cache_lock = threading.Lock()

    def __enter__(self) -> GraderUpstream:
        self.start()
        return self

    def served_tables(self, day: date) -> dict[str, pd.DataFrame]:
        """The five tables of ``day`` exactly as the server answers them right now."""
        key = self._version(day)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        orders = self.orders_overrides.get(day, self.orders_per_day)
        tables = generate_day(day, orders=orders, seed=self.seed).tables
        if day in self.republished:
            tables = late_orders(tables, day, self.republished[day])
        if day in self.corruptions:
            tables = corrupt(tables, self.corruptions[day], seed=day.toordinal())
        with self._cache_lock:
            self._cache[key] = tables
            while len(self._cache) > self._cache_days:
                old, _ = self._cache.popitem(last=False)
                for table_key in [k for k in self._bodies if k[:-1] == old]:
                    del self._bodies[table_key]
        return tables

    def truth(self, day: date) -> DayTruth:
        """What the warehouse must hold for ``day`` as it is served now."""
        return truth_of(day, self.served_tables(day))

    def table_json(self, day: date, table: str) -> tuple[bytes, int]:
        """The JSON body of ``table`` for ``day`` and its row count (the server's hook)."""
        key = (*self._version(day), table)
        with self._cache_lock:
            cached = self._bodies.get(key)
        if cached is not None:
            return cached
        frame = self.served_tables(day)[table]
        body = (frame.to_json(orient="records", date_format="iso").encode(), len(frame))
        with self._cache_lock:
            self._bodies[key] = body
        return body

    def _version(self, day: date) -> tuple[object, ...]:
        return (
            day,
            self.orders_overrides.get(day, self.orders_per_day),
            self.corruptions.get(day),
            self.republished.get(day),
        )
