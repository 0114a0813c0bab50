"""Peak memory of a whole process tree, sampled as docs/measuring.md says (psutil, ~50 ms)."""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

__all__ = ["TreeRSSSampler", "tree_rss_bytes"]


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


class TreeRSSSampler:
    """Context manager that samples the RSS of a process tree in a thread; keeps the peak.

    **Usage**::

        with TreeRSSSampler(pid) as sampler:
            run_the_work()
        print(sampler.peak_mb)
    """

    def __init__(self, pid: int | None = None, *, interval_s: float = 0.05) -> None:
        self._root = psutil.Process(pid)
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self.peak_bytes = 0
        self.samples = 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._root))
            self.samples += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> TreeRSSSampler:
        self.peak_bytes = tree_rss_bytes(self._root)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._root))

    @property
    def peak_mb(self) -> float:
        """Peak tree RSS in MiB."""
        return self.peak_bytes / 2**20
