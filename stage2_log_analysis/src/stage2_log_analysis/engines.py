"""The two engines that run the same kernel: one process, or a Dask cluster.

Kernel: ``analyze_range`` parses one line-aligned byte range block by block and returns its
partial aggregates. The single-process engine calls it range after range; the Dask engine maps
it over the ranges on the workers and folds the partials as they come back. Both fold with
``combine_partials``, which is exact, so both engines agree to the row.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from stage2_log_analysis.aggregate import Partial, combine_partials, partial_from_block
from stage2_log_analysis.allocator import ALLOCATOR_ENV, WORKER_ALLOCATOR_CONF
from stage2_log_analysis.errors import AnalysisConfigError, LogInputError
from stage2_log_analysis.formats import LogFormat
from stage2_log_analysis.parser import parse_block
from stage2_log_analysis.ranges import (
    DEFAULT_BLOCK_BYTES,
    ByteRange,
    iter_range_blocks,
)

__all__ = ["DEFAULT_DASHBOARD", "analyze_range", "dask_client", "run_dask", "run_local"]

Advance = Callable[[int], None]
Sink = Callable[[Partial], None]
#: The local cluster's dashboard: this machine only, on a free port (it has no login).
DEFAULT_DASHBOARD = "127.0.0.1:0"
_FOLD_EVERY = 16  # fold partials in groups: bounded memory, few large concatenations


def analyze_range(
    rng: ByteRange, fmt: LogFormat, block_bytes: int = DEFAULT_BLOCK_BYTES
) -> Partial:
    """Parse and aggregate every line owned by ``rng`` (the task each Dask worker runs)."""
    parts = [
        partial_from_block(parse_block(b, fmt, split_request=False))
        for b in iter_range_blocks(rng, block_bytes)
    ]
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
    sink: Sink | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    advance: Advance | None = None,
    threads: int = 1,
) -> Partial | None:
    """Single process: the ranges in file order, ``threads`` at a time (Polars frees the GIL).

    Each range's partial goes to ``sink`` as soon as it is ready (in file order); without a
    sink the partials are folded and their total returned.
    """
    folder = _Folder() if sink is None else None
    put = folder.add if folder is not None else sink
    assert put is not None
    if threads <= 1:
        for rng, fmt in work:
            put(analyze_range(rng, fmt, block_bytes))
            if advance:
                advance(rng.size)
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="logan-range") as pool:
            pending: deque[tuple[ByteRange, Future[Partial]]] = deque()
            for rng, fmt in work:
                pending.append((rng, pool.submit(analyze_range, rng, fmt, block_bytes)))
                if len(pending) >= 2 * threads:  # a bounded window: few partials in flight
                    _take(pending, put, advance)
            while pending:
                _take(pending, put, advance)
    return folder.result() if folder is not None else None


def _take(
    pending: deque[tuple[ByteRange, Future[Partial]]], put: Sink, advance: Advance | None
) -> None:
    rng, future = pending.popleft()
    put(future.result())
    if advance:
        advance(rng.size)


@contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    memory_limit: str | int = 0,
    processes: bool = True,
    dashboard: str = DEFAULT_DASHBOARD,
) -> Iterator[object]:
    """A Dask client: to ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``), else a LocalCluster.

    The local cluster runs ``n_workers`` (default 2) single-threaded worker processes
    (parsing holds the GIL in places, processes do not share it) with Polars limited to one
    thread per worker, so the workers do not fight over the cores. It listens on 127.0.0.1
    and so does its dashboard, unless ``dashboard`` names another address (":8787" for every
    interface). With a scheduler, its cluster's workers are used: ``n_workers`` is refused.
    """
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address and n_workers is not None:
        raise AnalysisConfigError(
            f"n_workers={n_workers} sizes the local cluster, but a scheduler was given "
            f"({address}): its own workers run the job. Drop --workers, or drop --scheduler "
            "(and unset DASK_SCHEDULER_ADDRESS) to start a local cluster"
        )
    if n_workers is not None and n_workers < 1:
        raise AnalysisConfigError(f"n_workers={n_workers}; use 1 or more")
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
            n_workers=n_workers or 2,
            threads_per_worker=1,
            processes=processes,
            host="127.0.0.1" if processes else None,  # threads talk in-process (inproc://)
            dashboard_address=dashboard,
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
    sink: Sink | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    advance: Advance | None = None,
) -> list[Partial]:
    """Map ``analyze_range`` over the ranges on the cluster; hand partials on as they finish.

    With a ``sink``, each partial goes there and nothing is returned; without one, the
    partials are folded in groups and the groups returned (``combine_partials`` of them is
    the total). File paths must be absolute and readable on every worker: a worker that
    cannot read one raises ``LogInputError`` saying so.
    """
    from distributed import Client, as_completed

    assert isinstance(client, Client)
    futures = [client.submit(analyze_range, rng, fmt, block_bytes, pure=False) for rng, fmt in work]
    ranges = {f.key: rng for f, (rng, _) in zip(futures, work, strict=True)}
    folder = _Folder() if sink is None else None
    put = folder.add if folder is not None else sink
    assert put is not None
    for future in as_completed(futures):
        rng = ranges[future.key]
        try:
            partial = future.result()
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            for f in futures:
                f.cancel()
            raise LogInputError(
                rng.path,
                f"a Dask worker could not read it ({type(exc).__name__}): the workers must see "
                f"the same path: {rng.path} (mount or copy the logs there on every worker)",
            ) from None
        put(partial)
        if advance:
            advance(rng.size)
        future.release()
    return folder.folded() if folder is not None else []
