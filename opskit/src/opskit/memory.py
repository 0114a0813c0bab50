"""Peak memory of a whole process tree, sampled as docs/measuring.md says (psutil, ~50 ms)."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Self

import psutil

__all__ = ["PeriodicSampler", "ProcessTree", "TreeRSSSampler", "tree_rss_bytes"]


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


class ProcessTree:
    """A process and its descendants, listed again at most every ``relist_s`` seconds.

    Listing a tree scans every process on the machine; on a busy machine doing it every
    50 ms costs more CPU than the work being measured. Between listings only the known
    members' RSS is read (a child started since is seen at the next listing).
    """

    def __init__(self, root: psutil.Process, *, relist_s: float = 1.0) -> None:
        self.root = root
        self._relist_s = relist_s
        self._members: list[psutil.Process] = [root]
        self._listed_at: float | None = None

    @property
    def members(self) -> list[psutil.Process]:
        """The processes known since the last listing."""
        return list(self._members)

    def rss_bytes(self) -> int:
        """RSS of the members right now, in bytes (the list refreshed when it is stale)."""
        now = time.monotonic()
        if self._listed_at is None or now - self._listed_at >= self._relist_s:
            try:
                self._members = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                self._members = [self.root]
            self._listed_at = now
        total = 0
        for proc in self._members:
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # a member that has exited
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
