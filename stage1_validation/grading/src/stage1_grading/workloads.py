"""Functions of known cost that the grader decorates with the learner's ``performance_monitor``.

Their names say nothing about their cost (a figure read from a log line must come from the
measurement, not from the function's name). Each records its own wall time from the inside,
so the grader can bracket the truth: the decorator's figure must lie between the time the work
took inside the function and the time the whole decorated call took outside it.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = [
    "INSIDE",
    "MIB",
    "WorkloadError",
    "grader_task",
    "grader_task_fails",
    "grader_task_memory",
]

MIB = 2**20
INSIDE: dict[str, float] = {}  # wall seconds the last call of each workload spent inside it


class WorkloadError(Exception):
    """The grader's own error: the decorator must let it through unchanged."""


def grader_task(seconds: float, *, token: object) -> object:
    """Grader's task A: waits; returns ``token`` itself."""
    started = time.perf_counter()
    time.sleep(seconds)
    INSIDE["grader_task"] = time.perf_counter() - started
    return token


def grader_task_memory(mib: int, hold_s: float, *, keep: bool, token: object) -> Any:
    """Grader's task B: allocates ``mib`` MiB with every page touched, holds it, frees it or not."""
    started = time.perf_counter()
    block = bytearray(b"\x01") * (mib * MIB)
    time.sleep(hold_s)
    INSIDE["grader_task_memory"] = time.perf_counter() - started
    if keep:
        return token, block
    del block
    return token


def grader_task_fails(error: WorkloadError) -> None:
    """Grader's task C: raises ``error``."""
    raise error
