"""performance_monitor: wall time, CPU time and peak memory of a function, sync or async.

**Usage**::

    @performance_monitor                      # bare
    def load(path): ...

    @performance_monitor(threshold_ms=500)    # with arguments: warn when slower than 500 ms
    async def fetch(url): ...

    load("data.csv")
    record = last_record()                    # or get_records("load")
    print(record.wall_s, record.peak_traced_mb)

Memory is measured two ways: the ``tracemalloc`` peak (bytes allocated by Python and numpy
during the call: exact, but tracing slows allocation-heavy pandas code several-fold, see the
README) and the process RSS from psutil (what the OS sees): before, after, and the peak seen
by a sampling thread every ``rss_interval_s``. Pass ``trace_memory=False`` where the tracing
overhead matters; ``process_large_dataset`` does. tracemalloc is process-wide: concurrent
coroutines or threads share one peak, so their memory figures overlap; their times do not.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import tracemalloc
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar, cast, overload

import psutil

__all__ = [
    "PerformanceRecord",
    "clear_records",
    "get_records",
    "last_record",
    "performance_monitor",
    "timing_decorator",
]

P = ParamSpec("P")
R = TypeVar("R")
MIB = 2**20
_LOGGER = logging.getLogger("stage1_validation.performance")
_RECORDS: deque[PerformanceRecord] = deque(maxlen=1000)
_LOCK = threading.Lock()
_PEAK_STACK: list[_PeakFrame] = []


@dataclass(frozen=True)
class PerformanceRecord:
    """One measured call."""

    function: str
    wall_s: float
    cpu_s: float
    peak_traced_mb: float | None
    rss_before_mb: float
    rss_after_mb: float
    rss_peak_mb: float | None
    started_at: str
    ok: bool
    error: str | None = None

    @property
    def rss_delta_mb(self) -> float:
        """RSS growth over the call (negative when memory was returned to the OS)."""
        return self.rss_after_mb - self.rss_before_mb

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        return {**asdict(self), "rss_delta_mb": self.rss_delta_mb}


@dataclass
class _PeakFrame:
    start: int
    peak: int = 0


@dataclass
class _Options:
    log: logging.Logger | None
    threshold_ms: float | None
    trace_memory: bool
    rss_interval_s: float | None = field(default=0.005)


class _RSSSampler:
    """Samples this process's RSS in a daemon thread and keeps the peak."""

    def __init__(self, process: psutil.Process, interval_s: float) -> None:
        self._process = process
        self._interval = interval_s
        self._stop = threading.Event()
        self.peak: int = process.memory_info().rss
        self._thread = threading.Thread(target=self._loop, name="rss-peak", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, int(self._process.memory_info().rss))
        return self.peak


def get_records(function: str | None = None) -> list[PerformanceRecord]:
    """Recorded calls, oldest first (the last 1000); ``function`` filters by qualified name."""
    with _LOCK:
        records = list(_RECORDS)
    if function is None:
        return records
    return [r for r in records if r.function == function or r.function.endswith(f".{function}")]


def last_record() -> PerformanceRecord | None:
    """The most recent record, or None."""
    with _LOCK:
        return _RECORDS[-1] if _RECORDS else None


def clear_records() -> None:
    """Forget every record."""
    with _LOCK:
        _RECORDS.clear()


@overload
def performance_monitor(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def performance_monitor(
    func: None = None,
    /,
    *,
    log: logging.Logger | bool = True,
    threshold_ms: float | None = None,
    trace_memory: bool = True,
    rss_interval_s: float | None = 0.005,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def performance_monitor(
    func: Callable[P, R] | None = None,
    /,
    *,
    log: logging.Logger | bool = True,
    threshold_ms: float | None = None,
    trace_memory: bool = True,
    rss_interval_s: float | None = 0.005,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Measure each call of the decorated function; return its result unchanged.

    ``log``: a logger, True for this library's logger, False for none. With ``threshold_ms``
    a call slower than the threshold logs at WARNING and faster calls at DEBUG; without it
    every call logs at INFO. ``trace_memory`` turns tracemalloc on for the call;
    ``rss_interval_s`` sets how often the RSS peak is sampled (None: no sampling thread).
    Exceptions propagate unchanged, and are recorded (``ok=False``).
    """
    logger = _LOGGER if log is True else (log or None)
    options = _Options(
        log=logger,
        threshold_ms=threshold_ms,
        trace_memory=trace_memory,
        rss_interval_s=rss_interval_s,
    )

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        name = f"{fn.__module__}.{fn.__qualname__}"
        if inspect.iscoroutinefunction(fn):
            async_fn = cast(Callable[P, Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                with _measure(name, options):
                    return await async_fn(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with _measure(name, options):
                return fn(*args, **kwargs)

        return wrapper

    if func is not None:
        return decorate(func)
    return decorate


# A short alias with diagnostic problem 1's name.
timing_decorator = performance_monitor


@contextmanager
def _measure(name: str, options: _Options) -> Iterator[None]:
    process = psutil.Process()
    rss_before = process.memory_info().rss
    started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    owns_tracing = False
    frame: _PeakFrame | None = None
    if options.trace_memory:
        owns_tracing = not tracemalloc.is_tracing()
        if owns_tracing:
            tracemalloc.start()
        frame = _push_peak_frame()
    sampler = _RSSSampler(process, options.rss_interval_s) if options.rss_interval_s else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        rss_peak = sampler.stop() / MIB if sampler is not None else None
        peak_mb = None
        if frame is not None:
            peak_mb = _pop_peak_frame(frame) / MIB
            if owns_tracing:
                tracemalloc.stop()
        record = PerformanceRecord(
            function=name,
            wall_s=wall,
            cpu_s=cpu,
            peak_traced_mb=peak_mb,
            rss_before_mb=rss_before / MIB,
            rss_after_mb=process.memory_info().rss / MIB,
            rss_peak_mb=rss_peak,
            started_at=started_at,
            ok=error is None,
            error=None if error is None else f"{type(error).__name__}: {error}",
        )
        with _LOCK:
            _RECORDS.append(record)
        _log(record, options)


def _push_peak_frame() -> _PeakFrame:
    """Start a peak measurement; nested monitors keep their parents' peaks correct."""
    current, peak = tracemalloc.get_traced_memory()
    for parent in _PEAK_STACK:
        parent.peak = max(parent.peak, peak)
    tracemalloc.reset_peak()
    frame = _PeakFrame(start=current, peak=current)
    _PEAK_STACK.append(frame)
    return frame


def _pop_peak_frame(frame: _PeakFrame) -> int:
    _, peak = tracemalloc.get_traced_memory()
    frame.peak = max(frame.peak, peak)
    if frame in _PEAK_STACK:
        _PEAK_STACK.remove(frame)
    for parent in _PEAK_STACK:
        parent.peak = max(parent.peak, frame.peak)
    return max(frame.peak - frame.start, 0)


def _log(record: PerformanceRecord, options: _Options) -> None:
    if options.log is None:
        return
    level = logging.INFO
    if options.threshold_ms is not None:
        slow = record.wall_s * 1000 >= options.threshold_ms
        level = logging.WARNING if slow else logging.DEBUG
    peak = "n/a" if record.peak_traced_mb is None else f"{record.peak_traced_mb:.1f} MiB"
    rss_peak = "n/a" if record.rss_peak_mb is None else f"{record.rss_peak_mb:.1f}"
    options.log.log(
        level,
        "%s: wall %.1f ms, cpu %.1f ms, peak traced %s, rss %.1f -> %.1f MiB (peak %s)%s",
        record.function,
        record.wall_s * 1000,
        record.cpu_s * 1000,
        peak,
        record.rss_before_mb,
        record.rss_after_mb,
        rss_peak,
        "" if record.ok else f" (raised {record.error})",
    )
