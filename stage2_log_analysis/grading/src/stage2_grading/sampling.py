"""Peak RSS of the graded process tree plus the grader's Dask cluster, sampled every 50 ms."""

from __future__ import annotations

import psutil

from opskit.memory import PeriodicSampler, tree_rss_bytes

__all__ = ["TreesSampler"]


class TreesSampler(PeriodicSampler):
    """Samples several process trees at once; keeps each tree's peak and the peak of their sum.

    The graded code's own tree (a LocalCluster it starts included) is ``own``; the grader's
    cluster, when the code runs on it, is ``cluster``. Their sum is what the criterion limits.
    """

    def __init__(self, own: int, cluster: int | None = None, interval_s: float = 0.05) -> None:
        super().__init__(interval_s=interval_s)
        self._own = psutil.Process(own)
        self._cluster = psutil.Process(cluster) if cluster else None
        self.own_peak = 0
        self.cluster_peak = 0
        self.total_peak = 0
        # The grader's cluster before the graded call: its own processes, not the graded work.
        self.cluster_idle = tree_rss_bytes(self._cluster) if self._cluster is not None else 0

    def sample(self) -> None:
        """Each tree's RSS now, and their sum, against the peaks so far."""
        own = tree_rss_bytes(self._own)
        cluster = tree_rss_bytes(self._cluster) if self._cluster is not None else 0
        self.own_peak = max(self.own_peak, own)
        self.cluster_peak = max(self.cluster_peak, cluster)
        self.total_peak = max(self.total_peak, own + cluster)

    def figures_mb(self) -> dict[str, float]:
        """Peaks in MiB: the graded tree, the grader's cluster, and their sum."""
        mb = 2**20
        return {
            "own_peak_mb": round(self.own_peak / mb, 1),
            "cluster_peak_mb": round(self.cluster_peak / mb, 1),
            "peak_mb": round(self.total_peak / mb, 1),
            "cluster_idle_mb": round(self.cluster_idle / mb, 1),
        }
