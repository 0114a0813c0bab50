"""Hidden tests of problem 1 (CSVProcessor, timing_decorator, DataValidationError)."""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil

from diagnostics.hidden.csv_cases import CsvCase, ErrorRecord, csv_cases
from diagnostics.hidden.records import ProbeResult

__all__ = ["PROBES"]

Probe = Callable[[ModuleType, Path], ProbeResult]

_SECONDS = re.compile(
    r"(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(ms|msec|milliseconds?|s|secs?|seconds?)?\b"
)


class _Capture(logging.Handler):
    """Collect log records (any logger) as text lines while a probe runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def _captured_output() -> Iterator[list[str]]:
    """Capture print()ed and logged lines: the decorator may report either way."""
    lines: list[str] = []
    out, err = io.StringIO(), io.StringIO()
    handler = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        lines += out.getvalue().splitlines() + err.getvalue().splitlines() + handler.lines


def _reported_seconds(lines: list[str], name: str) -> float | None:
    """The first duration on a line that names ``name``, converted to seconds."""
    for line in lines:
        if name not in line:
            continue
        matches = list(_SECONDS.finditer(line.replace(name, " ")))
        # prefer a number with a unit ("0.2s", "200 ms"); a bare number is read as seconds
        for match in sorted(matches, key=lambda m: m.group(2) is None):
            number, unit = float(match.group(1)), (match.group(2) or "s")
            return number / 1000 if unit.startswith("m") else number
    return None


def _records(result: object) -> set[ErrorRecord]:
    """Normalise validate_data()'s list of {row, column, error} dicts (extra keys are fine)."""
    if not isinstance(result, list):
        raise TypeError(f"validate_data() returned {type(result).__name__}, expected a list")
    records: set[ErrorRecord] = set()
    for item in result:
        if not isinstance(item, Mapping):
            raise TypeError(f"error record {item!r} is not a dict with row, column, error")
        records.add((int(item["row"]), str(item["column"]), str(item["error"])))
    return records


def _validate(module: ModuleType, case: CsvCase, folder: Path) -> tuple[object, list[str]]:
    path = case.write(folder)
    with _captured_output() as lines:
        result = module.CSVProcessor(str(path)).validate_data()
    return result, lines


def _compare(module: ModuleType, folder: Path, case_name: str, probe_id: str) -> ProbeResult:
    case = csv_cases()[case_name]
    result, _ = _validate(module, case, folder)
    found = _records(result)
    missing, extra = sorted(case.expected - found), sorted(found - case.expected)
    ok = not missing and not extra
    evidence = (
        f"{len(case.expected)} planted error(s) all found, nothing else"
        if ok
        else f"missed {missing or 'none'}; unexpected {extra or 'none'} (row, column, error)"
    )
    return ProbeResult(id=probe_id, passed=ok, evidence=evidence, value=ok)


def probe_empty_values(module: ModuleType, folder: Path) -> ProbeResult:
    """Empty and whitespace-only cells, each with its file line number and column."""
    return _compare(module, folder, "empty", "p1.empty_values")


def probe_type_errors(module: ModuleType, folder: Path) -> ProbeResult:
    """Values that do not parse as the column's type."""
    return _compare(module, folder, "types", "p1.type_errors")


def probe_clean_file(module: ModuleType, folder: Path) -> ProbeResult:
    """A valid file with quoted commas and padded values must give exactly []."""
    return _compare(module, folder, "clean", "p1.clean_file")


def probe_columns_by_name(module: ModuleType, folder: Path) -> ProbeResult:
    """Reordered columns plus an extra (partly empty) column."""
    return _compare(module, folder, "reordered", "p1.columns_by_name")


def _raises_validation_error(module: ModuleType, path: Path, must_mention: str) -> str | None:
    """None when DataValidationError is raised naming ``must_mention``; else what went wrong."""
    error_type = module.DataValidationError
    try:
        with _captured_output():
            module.CSVProcessor(str(path)).validate_data()
    except error_type as exc:
        if must_mention not in str(exc):
            return f"DataValidationError({str(exc)!r}) does not mention {must_mention!r}"
        return None
    except Exception as exc:
        return f"raised {type(exc).__name__}({exc}) instead of DataValidationError"
    return f"nothing raised for {path.name}"


def probe_exception(module: ModuleType, folder: Path) -> ProbeResult:
    """Missing file and missing column both raise DataValidationError with a useful message."""
    error_type = module.DataValidationError
    problems: list[str] = []
    if not (isinstance(error_type, type) and issubclass(error_type, Exception)):
        problems.append("DataValidationError is not an Exception subclass")
    elif error_type is Exception:
        problems.append("DataValidationError is Exception itself")
    else:
        missing_file = folder / "does-not-exist.csv"
        empty_file = folder / "empty-file.csv"
        empty_file.write_text("", encoding="utf-8")
        for path, mention in (
            (missing_file, missing_file.name),
            (csv_cases()["missing_column"].write(folder), "age"),
            (empty_file, ""),  # any message: the statement only asks for the exception
        ):
            problem = _raises_validation_error(module, path, mention)
            if problem:
                problems.append(problem)
    ok = not problems
    evidence = (
        "missing file, missing 'age' column and empty file raise DataValidationError"
        if ok
        else "; ".join(problems)
    )
    return ProbeResult(id="p1.exception", passed=ok, evidence=evidence, value=ok)


def probe_decorator_timing(module: ModuleType, folder: Path) -> ProbeResult:
    """A 0.2 s sleep is reported as 0.15-10 s; validate_data reports its time too."""

    def sleepy_task() -> None:
        time.sleep(0.2)

    timed = module.timing_decorator(sleepy_task)
    with _captured_output() as lines:
        timed()
    seconds = _reported_seconds(lines, "sleepy_task")
    _, validate_lines = _validate(module, csv_cases()["clean"], folder)
    validate_seconds = _reported_seconds(validate_lines, "validate_data")
    problems = []
    if seconds is None:
        problems.append(f"no printed/logged line names 'sleepy_task' with a time (saw {lines[:3]})")
    elif not 0.15 <= seconds <= 10:
        problems.append(f"a 0.2 s sleep was reported as {seconds:g} s")
    if validate_seconds is None:
        problems.append(f"validate_data() reported no time (saw {validate_lines[:3]})")
    ok = not problems
    evidence = f"0.2 s sleep reported as {seconds:g} s" if ok else "; ".join(problems)
    return ProbeResult(id="p1.decorator_timing", passed=ok, evidence=evidence, value=seconds)


def probe_decorator_metadata(module: ModuleType, folder: Path) -> ProbeResult:
    """functools.wraps: name and docstring survive."""

    def documented() -> int:
        """Original docstring."""
        return 1

    timed = module.timing_decorator(documented)
    name, doc = getattr(timed, "__name__", None), getattr(timed, "__doc__", None)
    ok = name == "documented" and doc == "Original docstring."
    return ProbeResult(
        id="p1.decorator_metadata",
        passed=ok,
        evidence=f"__name__={name!r}, __doc__={doc!r}",
        value=ok,
    )


def probe_decorator_return(module: ModuleType, folder: Path) -> ProbeResult:
    """Positional and keyword arguments in, the return value out."""

    def add(a: int, *, b: int) -> int:
        return a + b

    with _captured_output():
        got = module.timing_decorator(add)(2, b=3)
    ok = got == 5
    return ProbeResult(
        id="p1.decorator_return", passed=ok, evidence=f"add(2, b=3) returned {got!r}", value=ok
    )


def probe_decorator_exceptions(module: ModuleType, folder: Path) -> ProbeResult:
    """The same exception object comes out of the wrapper."""
    original = KeyError("diagnostics-probe")

    def fails() -> None:
        raise original

    try:
        with _captured_output():
            module.timing_decorator(fails)()
    except BaseException as exc:
        ok = exc is original
        evidence = "the original KeyError propagated" if ok else f"got {exc!r} instead"
    else:
        ok, evidence = False, "the exception was swallowed (the call returned normally)"
    return ProbeResult(id="p1.decorator_exceptions", passed=ok, evidence=evidence, value=ok)


def _open_handles(path: Path) -> int:
    gc.collect()  # objects merely waiting for collection are not a leak
    target = os.path.realpath(path)
    return sum(1 for f in psutil.Process().open_files() if os.path.realpath(f.path) == target)


def probe_files_closed(module: ModuleType, folder: Path) -> ProbeResult:
    """No handle to the CSV stays open after a normal return or a raise."""
    clean = csv_cases()["clean"].write(folder)
    broken = csv_cases()["missing_column"].write(folder)
    keep: list[Any] = []  # keep the processors alive: a handle stored on self is a leak
    processor = module.CSVProcessor(str(clean))
    keep.append(processor)
    with _captured_output():
        processor.validate_data()  # must work: a validator that never opens the file proves nothing
    processor = module.CSVProcessor(str(broken))
    keep.append(processor)
    with contextlib.suppress(Exception), _captured_output():
        processor.validate_data()
    leaks = {p.name: _open_handles(p) for p in (clean, broken)}
    ok = not any(leaks.values())
    evidence = "no handle left open" if ok else f"open handles after validate_data(): {leaks}"
    return ProbeResult(id="p1.files_closed", passed=ok, evidence=evidence, value=ok)


PROBES: list[tuple[str, Probe]] = [
    ("p1.empty_values", probe_empty_values),
    ("p1.type_errors", probe_type_errors),
    ("p1.clean_file", probe_clean_file),
    ("p1.columns_by_name", probe_columns_by_name),
    ("p1.exception", probe_exception),
    ("p1.decorator_timing", probe_decorator_timing),
    ("p1.decorator_metadata", probe_decorator_metadata),
    ("p1.decorator_return", probe_decorator_return),
    ("p1.decorator_exceptions", probe_decorator_exceptions),
    ("p1.files_closed", probe_files_closed),
]
