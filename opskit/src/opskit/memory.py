"""Peak memory of a whole process tree, sampled as docs/measuring.md says (psutil, ~50 ms)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

import psutil

__all__ = ["PeriodicSampler", "TreeRSSSampler", "tree_rss_bytes"]


def tree_rss_bytes(root: psutil.Process) -> int:
    """RSS of ``root`` and all its descendants right now, in bytes."""
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:  # a child may exit between listing and reading
            continue
    return total


class PeriodicSampler:
    """Calls ``sample()`` in a daemon thread every ``interval_s`` while inside ``with``.

    Also once on entry and once on exit, so a body shorter than the interval still counts.
    Subclasses say what a sample is (a tree's RSS, several trees, the current phase's peak).
    """

    def __init__(self, *, interval_s: float = 0.05) -> None:
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.samples = 0

    def sample(self) -> None:
        """Take one sample (override)."""
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()
            self.samples += 1

    def __enter__(self) -> Self:
        self.sample()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name=f"{type(self).__name__}-sampler", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()


class TreeRSSSampler(PeriodicSampler):
    """Samples the RSS of a process tree in a thread; keeps the peak.

    **Usage**::

        with TreeRSSSampler(pid) as sampler:
            run_the_work()
        print(sampler.peak_mb)
    """

    def __init__(self, pid: int | None = None, *, interval_s: float = 0.05) -> None:
        super().__init__(interval_s=interval_s)
        self._root = psutil.Process(pid)
        self.peak_bytes = 0

    def sample(self) -> None:
        """Keep the larger of the peak so far and the tree's RSS now."""
        self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._root))

    @property
    def peak_mb(self) -> float:
        """Peak tree RSS in MiB."""
        return self.peak_bytes / 2**20
