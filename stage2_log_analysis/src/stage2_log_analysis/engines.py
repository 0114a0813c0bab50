"""The two engines that run the same kernel: one process, or a Dask cluster.

Kernel: ``analyze_range`` parses one line-aligned byte range block by block and returns its
partial aggregates. The single-process engine calls it range after range; the Dask engine maps
it over the ranges on the workers and folds the partials as they come back. Both fold with
``combine_partials``, which is exact, so both engines agree to the row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from stage2_log_analysis.aggregate import Partial, combine_partials, partial_from_block
from stage2_log_analysis.allocator import ALLOCATOR_ENV, WORKER_ALLOCATOR_CONF
from stage2_log_analysis.errors import AnalysisConfigError
from stage2_log_analysis.formats import LogFormat
from stage2_log_analysis.parser import parse_block
from stage2_log_analysis.ranges import (
    DEFAULT_BLOCK_BYTES,
    ByteRange,
    iter_range_blocks,
)

__all__ = ["analyze_range", "dask_client", "run_dask", "run_local"]

Advance = Callable[[int], None]
_FOLD_EVERY = 16  # fold partials in groups: bounded memory, few large concatenations


def analyze_range(
    rng: ByteRange, fmt: LogFormat, block_bytes: int = DEFAULT_BLOCK_BYTES
) -> Partial:
    """Parse and aggregate every line owned by ``rng`` (the task each Dask worker runs)."""
    parts = [partial_from_block(parse_block(b, fmt)) for b in iter_range_blocks(rng, block_bytes)]
    return combine_partials(parts)


class _Folder:
    """Collects partials and folds them in groups, so memory stays near the size of the result.

    Consecutive byte ranges cover consecutive minutes, so a group of partials shrinks when it is
    folded (shared boundary minutes merge) while folding a group into one ever-growing total
    would re-aggregate the whole total each time. The groups are combined once, at the end:
    by ``result()`` here, or by the caller after the Dask workers are gone (``run_dask``).
    """

    def __init__(self) -> None:
        self.groups: list[Partial] = []
        self.pending: list[Partial] = []

    def add(self, partial: Partial) -> None:
        self.pending.append(partial)
        if len(self.pending) >= _FOLD_EVERY:
            self.groups.append(combine_partials(self.pending))
            self.pending = []

    def folded(self) -> list[Partial]:
        """Every group, the last one possibly partial; ``combine_partials`` of them is the total."""
        if self.pending:
            self.groups.append(combine_partials(self.pending))
            self.pending = []
        return self.groups

    def result(self) -> Partial:
        """The total of everything added (for callers with no workers to wait for)."""
        return combine_partials(self.folded())


def run_local(
    work: Sequence[tuple[ByteRange, LogFormat]],
    *,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    advance: Advance | None = None,
) -> Partial:
    """Single process: stream through the ranges one after the other."""
    folder = _Folder()
    for rng, fmt in work:
        folder.add(analyze_range(rng, fmt, block_bytes))
        if advance:
            advance(rng.size)
    return folder.result()


@contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    n_workers: int = 2,
    memory_limit: str | int = 0,
    processes: bool = True,
) -> Iterator[object]:
    """A Dask client: to ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``), else a LocalCluster.

    The local cluster runs one single-threaded worker process per core (parsing holds the GIL
    in places, processes do not share it) with Polars limited to one thread per worker, so the
    workers do not fight over the cores.
    """
    from distributed import Client, LocalCluster

    if n_workers < 1:
        raise AnalysisConfigError(f"n_workers={n_workers}; use 1 or more")
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        with Client(address) as client:
            yield client
        return
    # Workers are spawned processes that import Polars before Dask's ``env=`` option applies,
    # so their settings must already be in the environment they inherit.
    worker_env = {"POLARS_MAX_THREADS": "1", ALLOCATOR_ENV: WORKER_ALLOCATOR_CONF}
    saved = {k: os.environ.get(k) for k in worker_env}
    if processes:
        os.environ.update(worker_env)
    try:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",  # an OS-assigned port: never clash with another cluster
            memory_limit=memory_limit,
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    with cluster, Client(cluster) as client:
        yield client


def run_dask(
    work: Sequence[tuple[ByteRange, LogFormat]],
    client: object,
    *,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    advance: Advance | None = None,
) -> list[Partial]:
    """Map ``analyze_range`` over the ranges on the cluster; fold partials as they finish.

    Returns the folded groups, not their total: ``combine_partials`` of them is the result.
    The final combine is the biggest aggregation of the run, and ``analyze`` does it after the
    cluster has shut down, so the client's peak never adds up with the workers'.
    """
    from distributed import Client, as_completed

    assert isinstance(client, Client)
    futures = [client.submit(analyze_range, rng, fmt, block_bytes, pure=False) for rng, fmt in work]
    sizes = {f.key: rng.size for f, (rng, _) in zip(futures, work, strict=True)}
    folder = _Folder()
    for future in as_completed(futures):
        folder.add(future.result())
        if advance:
            advance(sizes[future.key])
        future.release()
    return folder.folded()
