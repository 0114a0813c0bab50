"""Wall time and peak memory of each phase of a run (parse + aggregate, tables, ..., writing).

One sampler thread reads the RSS of the whole process tree (Dask workers included) every
50 ms and charges it to the phase running at that moment, so each phase reports its own
peak; a phase entered several times (top paths, computed batch by batch) adds up its time.
Listing the tree scans every process of the machine, so it is refreshed once a second and
only the known members' RSS is read in between (on a busy machine the full scan every
50 ms cost a tenth of the run's CPU).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
from pydantic import BaseModel

from opskit.memory import PeriodicSampler, ProcessTree

__all__ = ["PhaseStat", "PhaseTimer"]

_RELIST_S = 1.0  # how often the members of the process tree are listed again


class PhaseStat(BaseModel):
    """One phase of a run: its wall seconds and the peak RSS of the process tree during it."""

    name: str
    seconds: float
    peak_rss_mb: float
    # CPU seconds of this process in the phase, every thread (a Dask cluster's workers are
    # other processes and are not in it): on a busy machine wall time says how long the
    # phase waited for a core, CPU time what it cost.
    cpu_seconds: float = 0.0


class PhaseTimer(PeriodicSampler):
    """Time phases and sample the tree's RSS while they run (a sampler thread, opskit's).

    **Usage**::

        with PhaseTimer() as timer:
            with timer.phase("parse + aggregate"):
                ...
        timer.stats()   # [PhaseStat(name=..., seconds=..., peak_rss_mb=...)]
    """

    def __init__(self, *, interval_s: float = 0.05) -> None:
        super().__init__(interval_s=interval_s)
        self._tree = ProcessTree(psutil.Process(), relist_s=_RELIST_S)
        self._current: str | None = None
        self._seconds: dict[str, float] = {}
        self._cpu: dict[str, float] = {}
        self._peak: dict[str, int] = {}

    def sample(self) -> None:
        """Charge the tree's RSS now to the phase running (nothing between phases)."""
        name = self._current
        if name is not None:
            self._peak[name] = max(self._peak.get(name, 0), self._tree.rss_bytes())

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Charge the time and memory of the ``with`` body to phase ``name``."""
        outer = self._current
        self._current = name
        self.sample()
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.sample()
            self._seconds[name] = self._seconds.get(name, 0.0) + time.perf_counter() - started
            self._cpu[name] = self._cpu.get(name, 0.0) + time.process_time() - cpu
            self._current = outer

    def stats(self) -> list[PhaseStat]:
        """Every phase so far, in the order first entered."""
        return [
            PhaseStat(
                name=name,
                seconds=round(seconds, 3),
                peak_rss_mb=round(self._peak.get(name, 0) / 2**20, 1),
                cpu_seconds=round(self._cpu.get(name, 0.0), 3),
            )
            for name, seconds in self._seconds.items()
        ]
