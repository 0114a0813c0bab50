"""Whose CPU a load test measured: the server's, the load generator's, or the neighbours'.

The machine the grader runs on may be shared. A timing criterion that fails because other
processes held the cores says nothing about the learner's server, so every load run records,
from ``/proc``:

* the server's CPU seconds and its **run-queue wait** (``/proc/<pid>/task/*/schedstat``: time
  its threads were runnable but not running). A server that waits for a CPU was starved; a
  server that is slow without waiting blocked itself (``time.sleep`` in an ``async`` route, a
  lock, a synchronous call);
* the load generator's CPU and, for the open loop, how late it sent (``lag_p99_ms``);
* the whole machine's busy CPU, so "everything else" = machine - server - generator.

:func:`judge_timing` turns that into pass / fail / inconclusive with the reason.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
from pydantic import BaseModel

__all__ = ["CpuMeter", "CpuReport", "TimingVerdict", "judge_timing", "sched_usage"]

# A server thread that waited more than this for a CPU, per second of the run and summed over
# the server's processes, was starved by its neighbours (or by the load generator).
STARVED_WAIT_PER_S = 0.25
# The open-loop generator sent late: every latency it measured is inflated by its own delay.
GENERATOR_LAG_MS = 20.0


def sched_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, run-queue wait seconds) of every thread of ``pid`` so far; zeros if gone."""
    cpu = wait = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0.0, 0.0
    for task in tasks:
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:
            continue
        cpu += int(fields[0])
        wait += int(fields[1])
    return cpu / 1e9, wait / 1e9


def _machine_busy() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0))


class CpuReport(BaseModel):
    """CPU accounting of one load run (seconds)."""

    wall_s: float
    cores: int
    server_cpu_s: float
    server_wait_s: float
    generator_cpu_s: float = 0.0
    machine_busy_s: float

    @property
    def others_cpu_s(self) -> float:
        """CPU used by everything but the server and the generator (neighbours)."""
        return max(0.0, self.machine_busy_s - self.server_cpu_s - self.generator_cpu_s)

    @property
    def server_wait_per_s(self) -> float:
        """The server's run-queue wait per second of the run (summed over its processes)."""
        return self.server_wait_s / self.wall_s if self.wall_s else 0.0

    def text(self) -> str:
        """One sentence for the evidence."""
        return (
            f"CPU during the run ({self.wall_s:.0f} s, {self.cores} cores): server "
            f"{self.server_cpu_s:.1f} s (waited {self.server_wait_s:.1f} s for a CPU), load "
            f"generator {self.generator_cpu_s:.1f} s, everything else {self.others_cpu_s:.1f} s"
        )


class CpuMeter:
    """``with CpuMeter(server_pids) as meter: ...`` then ``meter.report(generator_cpu_s=...)``.

    ``server_pids`` is called at the start and the end (workers may come and go).
    """

    def __init__(self, server_pids: Callable[[], list[int]]) -> None:
        self._pids = server_pids
        self._start: dict[int, tuple[float, float]] = {}
        self._end: dict[int, tuple[float, float]] = {}
        self._t0 = self._t1 = 0.0
        self._m0 = self._m1 = 0.0

    def __enter__(self) -> CpuMeter:
        self._start = {pid: sched_usage(pid) for pid in self._pids()}
        self._m0, self._t0 = _machine_busy(), time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self._end = {pid: sched_usage(pid) for pid in self._pids()}
        self._m1, self._t1 = _machine_busy(), time.monotonic()

    def report(self, *, generator_cpu_s: float = 0.0) -> CpuReport:
        """The run's accounting; ``generator_cpu_s`` as the load generator measured itself."""
        cpu = wait = 0.0
        for pid, (c1, w1) in self._end.items():
            c0, w0 = self._start.get(pid, (0.0, 0.0))
            cpu += c1 - c0
            wait += w1 - w0
        return CpuReport(
            wall_s=round(self._t1 - self._t0, 2),
            cores=psutil.cpu_count() or os.cpu_count() or 1,
            server_cpu_s=round(cpu, 2),
            server_wait_s=round(wait, 2),
            generator_cpu_s=round(generator_cpu_s, 2),
            machine_busy_s=round(self._m1 - self._m0, 2),
        )


@dataclass(frozen=True)
class TimingVerdict:
    """``status`` is pass, fail or inconclusive; ``reason`` says why (empty for a plain pass)."""

    status: str
    reason: str = ""


def judge_timing(
    met: bool,
    cpu: CpuReport,
    *,
    requests: int,
    rate: float | None = None,
    generator_lag_ms: float = 0.0,
    excess_ms: float | None = None,
) -> TimingVerdict:
    """Pass when the target was met; otherwise fail — unless the machine, not the server, missed it.

    A miss is the server's own when (in this order) it needs more CPU per request than the
    whole machine has at the offered ``rate``, or it barely waited for a CPU while missing
    (it blocked itself). It is inconclusive when the server waited for a CPU or the load
    generator sent late: then the neighbours' load, not the code, may explain the figure.
    ``excess_ms`` (how far the figure is over its limit) lets a late generator explain only a
    miss it is big enough for: 10 s of latency is not 50 ms of generator lag.
    """
    if met:
        return TimingVerdict("pass")
    per_request = cpu.server_cpu_s / requests if requests else 0.0
    if rate and per_request * rate > cpu.cores:
        return TimingVerdict(
            "fail",
            f"the server used {1000 * per_request:.2f} ms of CPU per request: {rate:.0f} req/s "
            f"would need {per_request * rate:.1f} cores, the machine has {cpu.cores}",
        )
    reasons = []
    if cpu.server_wait_per_s > STARVED_WAIT_PER_S:
        reasons.append(
            f"the server waited {cpu.server_wait_s:.1f} s for a CPU in {cpu.wall_s:.0f} s "
            f"(other processes used {cpu.others_cpu_s:.1f} CPU-s)"
        )
    lag_explains = excess_ms is None or generator_lag_ms >= excess_ms
    if generator_lag_ms > GENERATOR_LAG_MS and lag_explains:
        reasons.append(f"the load generator itself sent late (p99 {generator_lag_ms:.0f} ms)")
    if reasons:
        return TimingVerdict(
            "inconclusive",
            "the machine was too busy to tell: " + "; ".join(reasons) + ". Run it again on a "
            "quiet machine (`uptime` load below the core count)",
        )
    return TimingVerdict(
        "fail",
        f"the server missed it without waiting for a CPU (waited {cpu.server_wait_s:.1f} s in "
        f"{cpu.wall_s:.0f} s): it blocked itself — a synchronous call or time.sleep in an async "
        "route, a lock, or too few workers/threads",
    )
