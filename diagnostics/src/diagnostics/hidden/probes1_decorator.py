"""Hidden tests of problem 1's ``timing_decorator``: what it reports, and what it leaves alone.

The decorator is applied to functions of ours with known behaviour: a 0.3 s sleep (timed by
our own clock around the call), a documented function, an ``add(a, *, b)``, one that returns
a given object, and one that raises a given exception object.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from diagnostics.hidden.candidate import attribute, call, describe
from diagnostics.hidden.capture import captured_output, reported_seconds
from diagnostics.hidden.csv_cases import csv_cases
from diagnostics.hidden.records import ProbeResult

__all__ = [
    "probe_decorator_exceptions",
    "probe_decorator_metadata",
    "probe_decorator_return",
    "probe_decorator_timing",
]

SLEEP_S = 0.3
DELAY_BEFORE_CALL_S = 0.5  # a clock started when decorating, not when calling, shows up
ROUNDING_S = 0.06  # "0.3s" printed with one decimal is still right


def sleepy_task() -> None:
    """Our known workload: sleeps SLEEP_S seconds (a name without digits, see capture.py)."""
    time.sleep(SLEEP_S)


def probe_decorator_timing(module: ModuleType, folder: Path) -> ProbeResult:
    """A 0.3 s call is reported within our own wall time of it; validate_data is timed too."""
    decorate = attribute(module, "timing_decorator")
    timed = call("timing_decorator(sleepy_task)", decorate, sleepy_task)
    time.sleep(DELAY_BEFORE_CALL_S)
    with captured_output() as lines:
        started = time.perf_counter()
        call("timing_decorator(sleepy_task)()", timed)
        wall = time.perf_counter() - started
    problems = []
    report = reported_seconds(lines, "sleepy_task")
    low, high = SLEEP_S - ROUNDING_S, wall + ROUNDING_S
    if report is None:
        problems.append(
            f"timing_decorator(sleepy_task)() printed or logged no line naming sleepy_task "
            f"with a duration (saw {lines[:3]}); expected e.g. 'sleepy_task took 0.30s'"
        )
    elif not low <= report[0] <= high:
        problems.append(
            f"timing_decorator(sleepy_task)(): a call that took {wall:.3f} s by our clock was "
            f"reported as {report[0]:.4g} s ({report[1]!r}); expected {low:.2f}-{high:.2f} s"
        )
    processor_class = attribute(module, "CSVProcessor")
    path = csv_cases()["clean"].write(folder)
    with captured_output() as validate_lines:
        started = time.perf_counter()
        try:
            processor_class(str(path)).validate_data()
        except Exception as exc:
            problems.append(f"CSVProcessor('clean.csv').validate_data() {describe(exc)}")
        validate_wall = time.perf_counter() - started
    validate_report = reported_seconds(validate_lines, "validate_data")
    if validate_report is None:
        problems.append(
            f"validate_data() reported no duration (saw {validate_lines[:3]}); "
            "expected it decorated with @timing_decorator"
        )
    elif not 0 <= validate_report[0] <= validate_wall + ROUNDING_S:
        problems.append(
            f"validate_data() took {validate_wall:.4f} s by our clock but reported "
            f"{validate_report[0]:.4g} s ({validate_report[1]!r})"
        )
    ok = not problems
    seconds = report[0] if report else None
    evidence = (
        f"timing_decorator reported {seconds:.4g} s for a {wall:.3f} s call; validate_data timed"
        if ok and seconds is not None
        else "; ".join(problems)
    )
    return ProbeResult(id="p1.decorator_timing", passed=ok, evidence=evidence, value=seconds)


def probe_decorator_metadata(module: ModuleType, folder: Path) -> ProbeResult:
    """functools.wraps: name and docstring survive."""

    def documented() -> int:
        """Original docstring."""
        return 1

    timed = call("timing_decorator(documented)", attribute(module, "timing_decorator"), documented)
    name, doc = getattr(timed, "__name__", None), getattr(timed, "__doc__", None)
    ok = name == "documented" and doc == "Original docstring."
    evidence = f"timing_decorator(documented) has __name__={name!r}, __doc__={doc!r}"
    if not ok:
        evidence += "; expected 'documented' and 'Original docstring.' (functools.wraps)"
    return ProbeResult(id="p1.decorator_metadata", passed=ok, evidence=evidence, value=ok)


class _Marker:
    """An object only the identity of which matters (equal to nothing else)."""

    def __repr__(self) -> str:
        return "<marker>"


def probe_decorator_return(module: ModuleType, folder: Path) -> ProbeResult:
    """Positional and keyword arguments in, the very return value out."""

    def add(a: int, *, b: int) -> int:
        return a + b

    marker = _Marker()

    def give(value: object) -> object:
        return value

    decorate = attribute(module, "timing_decorator")
    problems = []
    with captured_output():
        runs: tuple[tuple[str, Callable[[], object], object], ...] = (
            ("add(2, b=3)", lambda: decorate(add)(2, b=3), 5),
            ("give(marker)", lambda: decorate(give)(marker), marker),
        )
        for call, run, want in runs:
            try:
                got = run()
            except Exception as exc:
                problems.append(
                    f"timing_decorator({call.split('(')[0]}) called as {call} {describe(exc)}"
                )
                continue
            if got is want or (got == want and not isinstance(want, _Marker)):
                continue
            if isinstance(want, _Marker):
                problems.append(
                    f"timing_decorator(give)(marker) returned {got!r:.60}, not the very object "
                    "give returned inside (a copy?); expected the same object"
                )
            else:
                problems.append(
                    f"timing_decorator(add) called as {call} returned {got!r:.60}; expected {want!r}"
                )
    ok = not problems
    evidence = (
        "add(2, b=3) returned 5 and give(marker) the very object" if ok else "; ".join(problems)
    )
    return ProbeResult(id="p1.decorator_return", passed=ok, evidence=evidence, value=ok)


def probe_decorator_exceptions(module: ModuleType, folder: Path) -> ProbeResult:
    """The same exception object comes out of the wrapper, after exactly one call."""
    original = KeyError("diagnostics-probe")
    calls: list[int] = []

    def fails() -> None:
        calls.append(1)
        raise original

    decorate = attribute(module, "timing_decorator")
    problems = []
    try:
        with captured_output():
            decorate(fails)()
    except BaseException as exc:
        if exc is not original:
            problems.append(
                f"timing_decorator(fails)() raised {exc!r:.80}; expected the very {original!r} "
                "raised inside"
            )
    else:
        problems.append(
            f"timing_decorator(fails)() returned normally; expected the original {original!r} "
            "to propagate"
        )
    if len(calls) != 1:
        problems.append(
            f"timing_decorator(fails)() called fails {len(calls)} times; expected once (a "
            "timing wrapper must not retry)"
        )
    ok = not problems
    evidence = (
        "the very KeyError raised inside propagated, after one call" if ok else "; ".join(problems)
    )
    return ProbeResult(id="p1.decorator_exceptions", passed=ok, evidence=evidence, value=ok)
