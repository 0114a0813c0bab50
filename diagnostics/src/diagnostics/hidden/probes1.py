"""Hidden tests of problem 1 (CSVProcessor, DataValidationError): validation, errors, files.

The decorator's tests are in :mod:`diagnostics.hidden.probes1_decorator`; ``PROBES`` lists all
ten in rubric order. Each probe names the candidate's function it called and compares what
came back with the planted truth of :mod:`diagnostics.hidden.csv_cases`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil

from diagnostics.hidden.candidate import CandidateFault, attribute, describe
from diagnostics.hidden.capture import captured_output
from diagnostics.hidden.csv_cases import ErrorRecord, csv_cases
from diagnostics.hidden.open_watch import OpenedFile, watching
from diagnostics.hidden.probes1_decorator import (
    probe_decorator_exceptions,
    probe_decorator_metadata,
    probe_decorator_return,
    probe_decorator_timing,
)
from diagnostics.hidden.records import ProbeResult

__all__ = ["PROBES", "validate"]

Probe = Callable[[ModuleType, Path], ProbeResult]


def _records(result: object, call: str) -> set[ErrorRecord]:
    """validate_data()'s list of {row, column, error} dicts as a set (extra keys are fine)."""
    if not isinstance(result, list):
        raise CandidateFault(
            f"{call} returned {type(result).__name__} {result!r:.80}; expected a list of dicts"
        )
    records: set[ErrorRecord] = set()
    for item in result:
        try:
            if not isinstance(item, Mapping):
                raise TypeError("not a dict")
            records.add((int(item["row"]), str(item["column"]), str(item["error"])))
        except (TypeError, KeyError, ValueError):
            raise CandidateFault(
                f"{call} returned the record {item!r:.80}; expected a dict with row (int), "
                "column and error"
            ) from None
    return records


def validate(module: ModuleType, path: Path) -> object:
    """``CSVProcessor(path).validate_data()`` with the decorator's output captured."""
    processor_class = attribute(module, "CSVProcessor")
    with captured_output():
        return processor_class(str(path)).validate_data()


def _compare(module: ModuleType, folder: Path, case_name: str, probe_id: str) -> ProbeResult:
    case = csv_cases()[case_name]
    call = f"CSVProcessor('{case.name}.csv').validate_data()"
    path = case.write(folder)
    try:
        result = validate(module, path)
    except Exception as exc:
        raise CandidateFault(f"{call} {describe(exc)}; expected a list of records") from exc
    found = _records(result, call)
    missing, extra = sorted(case.expected - found), sorted(found - case.expected)
    ok = not missing and not extra
    evidence = (
        f"{call} returned the {len(case.expected)} planted record(s), nothing else"
        if ok
        else (
            f"{call} missed {missing or 'nothing'} and returned unexpected {extra or 'nothing'} "
            f"as (row, column, error); expected exactly {sorted(case.expected) or '[]'}"
        )
    )
    return ProbeResult(id=probe_id, passed=ok, evidence=evidence, value=ok)


def probe_empty_values(module: ModuleType, folder: Path) -> ProbeResult:
    """Empty and whitespace-only cells, each with its file line number and column."""
    return _compare(module, folder, "empty", "p1.empty_values")


def probe_type_errors(module: ModuleType, folder: Path) -> ProbeResult:
    """Values that do not parse as the column's type (and valid ones such as -4 and 12.5e1)."""
    return _compare(module, folder, "types", "p1.type_errors")


def probe_clean_file(module: ModuleType, folder: Path) -> ProbeResult:
    """A valid file with quoted commas, doubled quotes, padding and zeros must give exactly []."""
    return _compare(module, folder, "clean", "p1.clean_file")


def probe_columns_by_name(module: ModuleType, folder: Path) -> ProbeResult:
    """Reordered columns plus an extra (partly empty) column."""
    return _compare(module, folder, "reordered", "p1.columns_by_name")


def _raises_validation_error(module: ModuleType, path: Path, must_mention: list[str]) -> str:
    """ "" when DataValidationError is raised naming each of ``must_mention``; else the problem."""
    error_type = attribute(module, "DataValidationError")
    call = f"CSVProcessor('{path.name}').validate_data()"
    try:
        validate(module, path)
    except error_type as exc:
        absent = [word for word in must_mention if word not in str(exc)]
        if absent:
            return f"{call} raised DataValidationError({str(exc)!r:.120}), which does not name {absent}"
        return ""
    except Exception as exc:
        return f"{call} {describe(exc)}; expected DataValidationError"
    return f"{call} raised nothing; expected DataValidationError"


def probe_exception(module: ModuleType, folder: Path) -> ProbeResult:
    """Missing file, missing columns and an empty file raise DataValidationError, saying what."""
    error_type = attribute(module, "DataValidationError")
    problems: list[str] = []
    if not (isinstance(error_type, type) and issubclass(error_type, Exception)):
        problems.append(f"DataValidationError is {error_type!r}, not an Exception subclass")
    elif error_type is Exception:
        problems.append("DataValidationError is Exception itself, not a class of its own")
    else:
        missing_file = folder / "does-not-exist.csv"
        empty_file = folder / "empty-file.csv"
        empty_file.write_text("", encoding="utf-8")
        cases = csv_cases()
        for path, mention in (
            (missing_file, [missing_file.name]),
            (cases["missing_column"].write(folder), ["age"]),
            (cases["missing_two"].write(folder), ["age", "score"]),
            (empty_file, []),  # any message: the statement only asks for the exception
        ):
            if problem := _raises_validation_error(module, path, mention):
                problems.append(problem)
    ok = not problems
    evidence = (
        "a missing file, missing columns (each named) and an empty file raise DataValidationError"
        if ok
        else "; ".join(problems)
    )
    return ProbeResult(id="p1.exception", passed=ok, evidence=evidence, value=ok)


def _open_handles(paths: list[Path]) -> dict[str, int]:
    """Descriptors this process holds on ``paths`` (catches os.open, which the watch misses)."""
    targets = {os.path.realpath(p): p.name for p in paths}
    counts: dict[str, int] = {}
    for handle in psutil.Process().open_files():
        name = targets.get(os.path.realpath(handle.path))
        if name:
            counts[name] = counts.get(name, 0) + 1
    return counts


def probe_files_closed(module: ModuleType, folder: Path) -> ProbeResult:
    """Every file opened on the CSV is closed, after a normal return and after a raise.

    The files opened inside ``CSVProcessor(...)`` and ``validate_data()`` are kept alive by the
    open watch, so an unclosed one is still open when checked (see ``open_watch``).
    """
    cases = csv_cases()
    inputs = [cases[name].write(folder) for name in ("clean", "types", "missing_column")]
    empty_file = folder / "empty-file.csv"
    empty_file.write_text("", encoding="utf-8")
    inputs.append(empty_file)
    processor_class = attribute(module, "CSVProcessor")
    keep: list[Any] = []  # the processors stay alive: a handle kept on self is a leak too
    answered = False  # validate_data returned a list for the clean file: it did read it
    with watching(inputs) as opened:
        for path in inputs:
            with contextlib.suppress(Exception), captured_output():
                processor = processor_class(str(path))
                keep.append(processor)
                result = processor.validate_data()
                answered = answered or (path == inputs[0] and isinstance(result, list))
        leaked = [f for f in opened if not f.closed]
        descriptors = _open_handles(inputs)
        opened_paths = {f.path for f in opened}
    problems = [_leak_text(f) for f in leaked]
    if descriptors and not leaked:
        problems.append(f"the process still holds descriptor(s) on {descriptors}")
    _close_all(opened)
    read = [p.name for p in inputs if p.name in opened_paths]
    if not read and not answered and not problems:
        problems.append(
            "CSVProcessor(...) and validate_data() neither opened the CSV files nor returned a "
            "list for clean.csv, so there is nothing to judge"
        )
    ok = not problems
    evidence = (
        f"every handle closed: {len(opened)} file(s) opened on {read}, after returns and raises"
        if ok and read
        else "no file object opened from Python and no descriptor left open"
        if ok
        else "; ".join(problems[:3])
    )
    return ProbeResult(id="p1.files_closed", passed=ok, evidence=evidence, value=ok)


def _leak_text(opened: OpenedFile) -> str:
    return (
        f"{opened.path} was opened in {opened.opened_at} and still open after "
        "validate_data() finished; expected it closed (a `with` block)"
    )


def _close_all(opened: list[OpenedFile]) -> None:
    for item in opened:
        with contextlib.suppress(Exception):
            item.handle.close()


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
