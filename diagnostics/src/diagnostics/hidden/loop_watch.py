"""Does the candidate's handler block the event loop? Two detectors, both behavioural.

- ``time.sleep`` is wrapped before the candidate's module is imported: a call made on a
  thread that runs an event loop is recorded with the candidate's line (a worker thread, as
  FastAPI's thread pool or ``asyncio.to_thread`` uses, may sleep freely).
- A 10 ms heartbeat task measures how long the loop was held between its beats, minus the
  time this thread spent waiting for a CPU (``/proc/thread-self/schedstat``), so a busy
  shared machine is not mistaken for a blocking handler. Blocking syscalls and CPU loops in
  the handler count; other processes' load does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import SupportsIndex

from diagnostics.hidden.candidate import caller_location

__all__ = ["LoopHold", "install_sleep_watch", "loop_sleeps", "watch_loop"]

BEAT_S = 0.01
TIMER_SLACK_S = 0.002  # a beat may wake this much late without anything blocking
_SCHEDSTAT = Path("/proc/thread-self/schedstat")
_loop_sleeps: list[tuple[float, str]] = []


def install_sleep_watch() -> Callable[[], None]:
    """Wrap time.sleep so a call on a thread running an event loop is recorded (then slept).

    Returns the function that puts the real ``time.sleep`` back (for tests).
    """
    real_sleep = time.sleep

    def watched_sleep(seconds: float | SupportsIndex) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: a worker thread may sleep freely
            pass
        else:
            value = float(seconds)
            if value > 0:
                _loop_sleeps.append((value, caller_location() or "an unknown caller"))
        real_sleep(seconds)

    time.sleep = watched_sleep

    def restore() -> None:
        time.sleep = real_sleep

    return restore


def loop_sleeps() -> list[tuple[float, str]]:
    """The time.sleep calls recorded on an event-loop thread so far: (seconds, where)."""
    return list(_loop_sleeps)


def _run_delay_s() -> float:
    """Seconds this thread has waited for a CPU so far (0 where the kernel does not say)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class LoopHold:
    """How long the loop was held between heartbeats, CPU-queue waits excluded."""

    longest_s: float = 0.0
    total_s: float = 0.0
    beats: int = 0
    sleeps: list[tuple[float, str]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def watch_loop() -> AsyncIterator[LoopHold]:
    """Heartbeat the running loop while the block runs; the figures are final when it ends."""
    hold = LoopHold()
    done = asyncio.Event()
    first_sleep = len(_loop_sleeps)

    async def heartbeat() -> None:
        last, last_delay = time.perf_counter(), _run_delay_s()
        while not done.is_set():
            await asyncio.sleep(BEAT_S)
            now, delay = time.perf_counter(), _run_delay_s()
            held = (now - last) - BEAT_S - (delay - last_delay) - TIMER_SLACK_S
            hold.longest_s = max(hold.longest_s, held)
            hold.total_s += max(0.0, held)
            hold.beats += 1
            last, last_delay = now, delay

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(2 * BEAT_S)
    try:
        yield hold
    finally:
        done.set()
        await beat
        hold.sleeps = _loop_sleeps[first_sleep:]
