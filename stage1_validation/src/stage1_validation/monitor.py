"""performance_monitor: wall time, CPU time and peak memory of a function, sync or async.

**Usage**::

    @performance_monitor                      # bare
    def load(path): ...

    @performance_monitor(threshold_ms=500)    # with arguments: warn when slower than 500 ms
    async def fetch(url): ...

    load("data.csv")
    record = last_record()                    # or get_records("load")
    print(record.wall_s, record.peak_mb)

It is cheap by default, so it can sit on any function: two clock reads, two reads of the
process RSS (one ``pread`` of ``/proc/self/statm`` each on Linux) and a record. The RSS peak
comes from one shared sampling thread that wakes every ``rss_interval_s`` only while a
monitored call is running, so a short call pays no thread start; a spike shorter than the
interval can be missed. ``trace_memory=True`` adds the ``tracemalloc`` peak (bytes allocated
by Python and numpy during the call: exact, but tracing slows allocation-heavy pandas code
several-fold, see the README). ``peak_mb`` is the traced peak when there is one, else the RSS
peak above the start. tracemalloc and RSS are process-wide: concurrent coroutines or threads
share one peak, so their memory figures overlap; their times do not.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import threading
import time
import tracemalloc
from collections import deque
from collections.abc import Awaitable, Callable
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
    started_unix: float
    ok: bool
    error: str | None = None

    @property
    def started_at(self) -> str:
        """When the call started, ISO 8601 in UTC (made on demand: formatting costs µs)."""
        return datetime.fromtimestamp(self.started_unix, UTC).isoformat(timespec="milliseconds")

    @property
    def rss_delta_mb(self) -> float:
        """RSS growth over the call (negative when memory was returned to the OS)."""
        return self.rss_after_mb - self.rss_before_mb

    @property
    def peak_mb(self) -> float | None:
        """The call's peak memory above its start: traced if traced, else the RSS peak."""
        if self.peak_traced_mb is not None:
            return self.peak_traced_mb
        if self.rss_peak_mb is None:
            return None
        return max(self.rss_peak_mb - self.rss_before_mb, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        extra = {"started_at": self.started_at, "rss_delta_mb": self.rss_delta_mb}
        return {**asdict(self), **extra, "peak_mb": self.peak_mb}


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


class _RSSReader:
    """This process's RSS in bytes: a ``pread`` of /proc/self/statm, else psutil."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._page = 4096
        self._process: psutil.Process | None = None
        try:
            self._fd = os.open("/proc/self/statm", os.O_RDONLY)
            self._page = os.sysconf("SC_PAGE_SIZE")
        except (OSError, AttributeError, ValueError):
            self._process = psutil.Process()

    def __call__(self) -> int:
        if self._fd is not None:
            return int(os.pread(self._fd, 128, 0).split()[1]) * self._page
        assert self._process is not None
        return int(self._process.memory_info().rss)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Watch:
    """The RSS peak of one call in progress."""

    __slots__ = ("interval", "peak")

    def __init__(self, peak: int, interval: float) -> None:
        self.peak = peak
        self.interval = interval


class _SharedSampler:
    """One daemon thread per process that samples RSS while any monitored call is running.

    Starting a thread per call would cost hundreds of µs. This one is started once; it polls
    while calls are being monitored and for a second after, then parks on an Event, so a call
    in a busy loop only adds itself to a set and wakes nothing.
    """

    IDLE_S = 1.0

    def __init__(self, read: _RSSReader) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._watches: set[_Watch] = set()
        self._wake = threading.Event()
        self._parked = True
        self._thread: threading.Thread | None = None

    def begin(self, rss: int, interval: float) -> _Watch:
        watch = _Watch(rss, interval)
        with self._lock:
            self._watches.add(watch)
            if self._parked:
                self._parked = False
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="rss-peak", daemon=True)
                    self._thread.start()
                self._wake.set()
        return watch

    def end(self, watch: _Watch, rss: int) -> int:
        with self._lock:
            self._watches.discard(watch)
        return max(watch.peak, rss)

    def _loop(self) -> None:
        idle_since: float | None = None
        while True:
            self._wake.wait()
            with self._lock:
                interval = min((w.interval for w in self._watches), default=0.005)
            time.sleep(interval)
            rss = self._read()
            with self._lock:
                for watch in self._watches:
                    watch.peak = max(watch.peak, rss)
                if self._watches:
                    idle_since = None
                    continue
                now = time.monotonic()
                idle_since = idle_since or now
                if now - idle_since >= self.IDLE_S:
                    self._parked = True
                    self._wake.clear()
                    idle_since = None


_READ_RSS = _RSSReader()
_SAMPLER = _SharedSampler(_READ_RSS)


def _after_fork_in_child() -> None:
    """A forked child has neither the parent's thread nor its /proc/self file."""
    global _READ_RSS, _SAMPLER
    _READ_RSS.close()
    _READ_RSS = _RSSReader()
    _SAMPLER = _SharedSampler(_READ_RSS)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
    trace_memory: bool = False,
    rss_interval_s: float | None = 0.005,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def performance_monitor(
    func: Callable[P, R] | None = None,
    /,
    *,
    log: logging.Logger | bool = True,
    threshold_ms: float | None = None,
    trace_memory: bool = False,
    rss_interval_s: float | None = 0.005,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Measure each call of the decorated function; return its result unchanged.

    ``log``: a logger, True for this library's logger, False for none. With ``threshold_ms``
    a call slower than the threshold logs at WARNING and faster calls at DEBUG; without it
    every call logs at INFO. ``trace_memory=True`` turns tracemalloc on for the call (opt-in:
    exact Python allocation peaks, but slow); ``rss_interval_s`` sets how often the shared
    thread samples the RSS peak during the call (None: no sampling, no peak).
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
                call = _Call(name, options)
                try:
                    result = await async_fn(*args, **kwargs)
                except BaseException as exc:
                    call.finish(exc)
                    raise
                call.finish(None)
                return result

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            call = _Call(name, options)  # plain try/except: a generator-based context
            try:  # manager would add µs to every call
                result = fn(*args, **kwargs)
            except BaseException as exc:
                call.finish(exc)
                raise
            call.finish(None)
            return result

        return wrapper

    if func is not None:
        return decorate(func)
    return decorate


# A short alias with diagnostic problem 1's name.
timing_decorator = performance_monitor


class _Call:
    """One call being measured: started on creation, recorded by ``finish``."""

    __slots__ = (
        "cpu0",
        "frame",
        "name",
        "options",
        "owns_tracing",
        "rss_before",
        "started",
        "wall0",
        "watch",
    )

    def __init__(self, name: str, options: _Options) -> None:
        self.name, self.options = name, options
        self.rss_before = _READ_RSS()
        self.started = time.time()
        self.owns_tracing = False
        self.frame: _PeakFrame | None = None
        if options.trace_memory:
            self.owns_tracing = not tracemalloc.is_tracing()
            if self.owns_tracing:
                tracemalloc.start()
            self.frame = _push_peak_frame()
        interval = options.rss_interval_s
        self.watch = _SAMPLER.begin(self.rss_before, interval) if interval else None
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def finish(self, error: BaseException | None) -> None:
        wall, cpu = time.perf_counter() - self.wall0, time.process_time() - self.cpu0
        rss_after = _READ_RSS()
        watch = self.watch
        rss_peak = _SAMPLER.end(watch, rss_after) / MIB if watch is not None else None
        peak_mb = None
        if self.frame is not None:
            peak_mb = _pop_peak_frame(self.frame) / MIB
            if self.owns_tracing:
                tracemalloc.stop()
        record = PerformanceRecord(
            function=self.name,
            wall_s=wall,
            cpu_s=cpu,
            peak_traced_mb=peak_mb,
            rss_before_mb=self.rss_before / MIB,
            rss_after_mb=rss_after / MIB,
            rss_peak_mb=rss_peak,
            started_unix=self.started,
            ok=error is None,
            error=None if error is None else f"{type(error).__name__}: {error}",
        )
        with _LOCK:
            _RECORDS.append(record)
        if self.options.log is not None:
            _log(record, self.options, self.options.log)


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


def _log(record: PerformanceRecord, options: _Options, logger: logging.Logger) -> None:
    level = logging.INFO
    if options.threshold_ms is not None:
        slow = record.wall_s * 1000 >= options.threshold_ms
        level = logging.WARNING if slow else logging.DEBUG
    if not logger.isEnabledFor(level):
        return  # formatting is most of a log call's cost
    peak = "n/a" if record.peak_traced_mb is None else f"{record.peak_traced_mb:.1f} MiB"
    rss_peak = "n/a" if record.rss_peak_mb is None else f"{record.rss_peak_mb:.1f}"
    logger.log(
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
