"""The performance decorator: true figures for known workloads, and the function left intact.

Runs in a child process (``ctx.isolated``). The learner's ``performance_monitor`` decorates the
grader's workloads (:mod:`stage1_grading.workloads`): two waits of different length and two
allocations of different size, one freed before returning (only a *peak* sees it) and one kept.
Each figure is read from a structured channel the skeleton documents — ``last_record()`` of the
module or a ``last_record`` attribute of the decorated function (an object or dict with
``wall_s`` and ``peak_mb``), or else a printed/logged ``wall_s=<seconds> peak_mb=<MiB>`` — and
compared with the truth: the wall time must lie between the time spent inside the function and
the time of the whole decorated call, the peak within 10% of the allocation. The decorated
function must keep its return value, its exceptions, ``__name__`` and ``__doc__``, and
``tracemalloc`` must be left as it was found.
"""

from __future__ import annotations

import numbers
import re
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage1_grading.capture import captured_output
from stage1_grading.interface import InterfaceError, raised_text, refusal, require, where
from stage1_grading.workloads import (
    INSIDE,
    WorkloadError,
    grader_task,
    grader_task_fails,
    grader_task_memory,
)

__all__ = ["MEMORY_KEYS", "TIME_KEYS", "figure_from_text", "probe_performance_monitor"]

TIME_KEYS = ("wall_s", "elapsed_s", "duration_s", "execution_time_s")
MEMORY_KEYS = ("peak_mb", "peak_memory_mb", "memory_mb", "peak_traced_mb")
TOLERANCE = 0.10  # relative error allowed
SLACK_S = 0.005  # timer granularity
SLACK_MIB = 1.0  # the interpreter's own small allocations during the call
_NUMBER = r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"


@dataclass
class Reading:
    """What the decorator reported for one call, and through which channel."""

    value: float | None = None
    channel: str = ""


@dataclass
class Findings:
    """Contract problems and figure errors gathered over the calls."""

    problems: list[str] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    channels: set[str] = field(default_factory=set)


def probe_performance_monitor(ctx: GradeContext) -> Measurement:
    """Wall time and peak memory of known workloads vs truth; return, errors, metadata kept."""
    impl = ctx.load()
    try:
        decorator = require(impl, "performance_monitor")
    except InterfaceError as exc:
        return refusal(exc)
    found = Findings()
    try:
        timed = _decorate(decorator, grader_task)
        memory = _decorate(decorator, grader_task_memory)
        failing = _decorate(decorator, grader_task_fails)
    except InterfaceError as exc:
        return refusal(exc)
    except Exception as exc:
        return Measurement.failed(f"performance_monitor(func) raised: {raised_text(exc, ctx)}")
    _metadata(timed, grader_task, found)
    for seconds in (0.30, 0.10):
        _time_call(impl, timed, seconds, found, ctx)
    for mib, keep in ((160, False), (48, True)):
        _memory_call(impl, memory, mib, keep, found, ctx)
    _exception_call(failing, found, ctx)
    worst = round(max(found.errors) * 100, 1) if found.errors else None
    who = where(decorator)
    channels = ", ".join(sorted(found.channels)) or "none found"
    evidence = f"{who} on the grader's workloads (figures read via {channels}): " + "; ".join(
        found.lines
    )
    if found.problems:
        evidence += "; PROBLEMS: " + "; ".join(found.problems)
    passed = not found.problems and worst is not None and worst <= TOLERANCE * 100
    return Measurement(value=worst, passed=passed, evidence=evidence)


def _decorate(decorator: Callable[..., Any], fn: Callable[..., Any]) -> Callable[..., Any]:
    wrapped = decorator(fn)
    if not callable(wrapped):
        raise InterfaceError(
            f"performance_monitor({fn.__name__}) returned {type(wrapped).__name__}, not a "
            "function: the decorator must return the wrapper"
        )
    return wrapped  # type: ignore[no-any-return]


def _metadata(wrapped: Callable[..., Any], original: Callable[..., Any], found: Findings) -> None:
    lost = [
        attr
        for attr in ("__name__", "__doc__")
        if getattr(wrapped, attr, None) != getattr(original, attr)
    ]
    if lost:
        found.problems.append(
            f"the decorated function lost its {' and '.join(lost)} "
            f"(__name__ is {getattr(wrapped, '__name__', None)!r}): use functools.wraps"
        )
    else:
        found.lines.append("__name__ and __doc__ kept")


def _call(
    wrapped: Callable[..., Any],
    found: Findings,
    ctx: GradeContext,
    label: str,
    *args: Any,
    **kw: Any,
) -> tuple[bool, Any, float, str]:
    """Call the decorated workload; (ok, result, seconds outside, captured text)."""
    tracing = tracemalloc.is_tracing()
    with captured_output() as out:
        started = time.perf_counter()
        try:
            result = wrapped(*args, **kw)
            ok = True
        except Exception as exc:
            result, ok = None, False
            found.problems.append(f"{label} raised through the decorator: {raised_text(exc, ctx)}")
        outside = time.perf_counter() - started
    if tracemalloc.is_tracing() != tracing:
        found.problems.append(
            f"after {label} tracemalloc was left {'on' if tracemalloc.is_tracing() else 'off'} "
            "(stop what you start, in a finally block)"
        )
        if tracemalloc.is_tracing():
            tracemalloc.stop()
    return ok, result, outside, out.text


def _time_call(
    impl: ModuleType,
    wrapped: Callable[..., Any],
    seconds: float,
    found: Findings,
    ctx: GradeContext,
) -> None:
    label = f"grader_task({seconds:g} s)"
    token = object()
    ok, result, outside, text = _call(wrapped, found, ctx, label, seconds, token=token)
    if not ok:
        return
    if result is not token:
        found.problems.append(
            f"{label} returned {_short(result)} through the decorator, not its own return value"
        )
    inside = INSIDE.get("grader_task", seconds)
    reading = _read(impl, wrapped, text, TIME_KEYS)
    if reading.value is None:
        found.problems.append(f"{label}: no wall time found ({_channels_hint()})")
        return
    found.channels.add(reading.channel)
    error = max(
        0.0,
        (inside - reading.value - SLACK_S) / inside,
        (reading.value - outside - SLACK_S) / inside,
    )
    found.errors.append(error)
    line = (
        f"{label}: reported {reading.value:.4g} s (inside {inside:.3f} s, whole call {outside:.3f} s, "
        f"{error:.1%} off)"
    )
    if error > TOLERANCE and inside * (1 - TOLERANCE) <= reading.value / 1000 <= outside * (
        1 + TOLERANCE
    ):
        line += " — that looks like milliseconds; report seconds"
    found.lines.append(line)


def _memory_call(
    impl: ModuleType,
    wrapped: Callable[..., Any],
    mib: int,
    keep: bool,
    found: Findings,
    ctx: GradeContext,
) -> None:
    label = f"grader_task_memory({mib} MiB, {'kept' if keep else 'freed before returning'})"
    token = object()
    ok, result, _, text = _call(wrapped, found, ctx, label, mib, 0.2, keep=keep, token=token)
    if not ok:
        return
    returned = result[0] if keep and isinstance(result, tuple) and result else result
    if returned is not token:
        found.problems.append(
            f"{label} returned {_short(result)} through the decorator, not its own return value"
        )
    del result
    reading = _read(impl, wrapped, text, MEMORY_KEYS)
    if reading.value is None:
        found.problems.append(f"{label}: no peak memory found ({_channels_hint()})")
        return
    found.channels.add(reading.channel)
    error = max(0.0, abs(reading.value - mib) - SLACK_MIB) / mib
    found.errors.append(error)
    line = f"{label}: reported peak {reading.value:.4g} MiB ({error:.1%} off)"
    if error > TOLERANCE:
        for unit, scale in (("bytes", 2**20), ("KiB", 2**10)):
            if abs(reading.value / scale - mib) <= TOLERANCE * mib:
                line += f" — that looks like {unit}; report MiB"
        if reading.value < mib / 2 and not keep:
            line += " — memory freed before returning still counts: report the peak during the call"
    found.lines.append(line)


def _exception_call(wrapped: Callable[..., Any], found: Findings, ctx: GradeContext) -> None:
    error = WorkloadError("the grader's own error")
    tracing = tracemalloc.is_tracing()
    with captured_output():
        try:
            wrapped(error)
            outcome: BaseException | None = None
        except BaseException as exc:
            outcome = exc
    if outcome is None:
        found.problems.append(
            "grader_task_fails raised an error but the decorated call returned normally (swallowed)"
        )
    elif outcome is not error:
        found.problems.append(
            f"grader_task_fails raised WorkloadError but the caller got {type(outcome).__name__}: "
            f"{_short(str(outcome))} (re-raise the original error)"
        )
    else:
        found.lines.append("an exception passes through unchanged")
    if tracemalloc.is_tracing() != tracing:
        found.problems.append(
            "after a call that raised, tracemalloc was left on (stop it in a finally block)"
        )
        tracemalloc.stop()


def _read(
    impl: ModuleType, wrapped: Callable[..., Any], text: str, keys: tuple[str, ...]
) -> Reading:
    """The figure named by one of ``keys``: from a record first, else from the printed text."""
    record, channel = _record(impl, wrapped)
    if record is not None:
        for key in keys:
            value = record.get(key) if isinstance(record, Mapping) else getattr(record, key, None)
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                return Reading(float(value), f"{channel}.{key}" if channel else key)
    value, key = figure_from_text(text, keys)
    return Reading(value, f"printed/logged {key}=" if key else "")


def _record(impl: ModuleType, wrapped: Callable[..., Any]) -> tuple[Any, str]:
    last = getattr(impl, "last_record", None)
    if callable(last):
        return last(), "last_record()"
    attr = getattr(wrapped, "last_record", None)
    if callable(attr) and not isinstance(attr, type):
        return attr(), f"{wrapped.__name__}.last_record()"
    if attr is not None:
        return attr, f"{getattr(wrapped, '__name__', 'func')}.last_record"
    return None, ""


def figure_from_text(text: str, keys: tuple[str, ...]) -> tuple[float | None, str]:
    """The last ``key=<number>`` (or ``key: <number>``) for one of ``keys`` in ``text``."""
    pattern = re.compile(r"\b(" + "|".join(keys) + r")\s*[=:]\s*" + _NUMBER)
    matches = pattern.findall(text)
    if not matches:
        return None, ""
    key, number = matches[-1]
    return float(number), key


def _channels_hint() -> str:
    return (
        "expected last_record() or func.last_record with wall_s/peak_mb, "
        "or a printed/logged line with wall_s=<seconds> peak_mb=<MiB>"
    )


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."
