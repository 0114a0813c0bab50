"""Peak RSS of the graded process tree plus the grader's Dask cluster, sampled every 50 ms."""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

from gradekit.sampling import tree_rss_bytes

__all__ = ["TreesSampler"]


class TreesSampler:
    """Samples several process trees at once; keeps each tree's peak and the peak of their sum.

    The graded code's own tree (a LocalCluster it starts included) is ``own``; the grader's
    cluster, when the code runs on it, is ``cluster``. Their sum is what the criterion limits.
    """

    def __init__(self, own: int, cluster: int | None = None, interval_s: float = 0.05) -> None:
        self._own = psutil.Process(own)
        self._cluster = psutil.Process(cluster) if cluster else None
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self.own_peak = 0
        self.cluster_peak = 0
        self.total_peak = 0

    def _sample(self) -> None:
        own = tree_rss_bytes(self._own)
        cluster = tree_rss_bytes(self._cluster) if self._cluster is not None else 0
        self.own_peak = max(self.own_peak, own)
        self.cluster_peak = max(self.cluster_peak, cluster)
        self.total_peak = max(self.total_peak, own + cluster)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self._interval)

    def __enter__(self) -> TreesSampler:
        self._sample()
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
        self._sample()

    def figures_mb(self) -> dict[str, float]:
        """Peaks in MiB: the graded tree, the grader's cluster, and their sum."""
        mb = 2**20
        return {
            "own_peak_mb": round(self.own_peak / mb, 1),
            "cluster_peak_mb": round(self.cluster_peak / mb, 1),
            "peak_mb": round(self.total_peak / mb, 1),
        }
