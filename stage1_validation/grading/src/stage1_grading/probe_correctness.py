"""Correctness: every injected error found, nothing else, with the right counts and verdict.

Runs in a child process (``ctx.isolated``). The same generated orders are validated twice with
one validator: once with labelled errors (the report must fail, each rule must list exactly its
labelled rows with the matching ``failing_count``), then with only the rows that break
warning-severity rules left (those rules list exactly them, nothing else is flagged, and the
report passes: warnings never fail it). Whole frame: ``DataValidator(rules).validate_dataset(df)``, and the
frame must come back unchanged. Chunked: ``process_large_dataset(csv, rules, chunk_size=...)``
on the same data as CSV, where duplicate keys straddle chunks; ``index`` is then the row's
0-based position among the file's data rows.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from stage1_grading.interface import (
    InterfaceError,
    accepted_parameters,
    raised_text,
    refusal,
    require,
    where,
)
from stage1_grading.orders import MIN_ROWS, GraderOrders, grader_orders, write_rules
from stage1_grading.report_reading import ReadReport, read_report

__all__ = ["probe_correctness"]

CHUNKS = 6.5  # the file is read in 7 chunks, the last one about half full


def probe_correctness(ctx: GradeContext, *, rows: str, chunked: bool) -> Measurement:
    """Precision and recall over (rule, row) pairs, plus counts, verdicts and a second run."""
    try:
        n_rows = int(rows)
    except ValueError:
        return Measurement(
            value=None,
            evidence="",
            inconclusive=f"--opt rows={rows!r} is not a whole number (use e.g. --opt rows=20000)",
        )
    if n_rows < MIN_ROWS:
        return Measurement(
            value=None,
            evidence="",
            inconclusive=(
                f"--opt rows={n_rows} is too few rows to inject every kind of error; "
                f"use --opt rows={MIN_ROWS} or more"
            ),
        )
    impl = ctx.load()
    folder = ctx.work_dir / ("correctness_chunked" if chunked else "correctness_whole")
    folder.mkdir(parents=True, exist_ok=True)
    data = grader_orders(n_rows)
    rules_path = write_rules(data.rules, folder / "orders_rules.yaml")
    step = "building the validator"
    try:
        runner: _Runner = (
            _Chunked(impl, folder, data, rules_path)
            if chunked
            else _WholeFrame(impl, data, rules_path)
        )
        step = f"{runner.who} on the orders with labelled errors"
        dirty = read_report(runner.run("dirty"), runner.who)
        step = f"{runner.who} on the same orders with only the warning rules' errors left"
        mild = read_report(runner.run("mild"), runner.who)
    except InterfaceError as exc:
        return refusal(exc)
    except Exception as exc:  # the learner's code raised: say where
        return Measurement.failed(
            f"{step}: {raised_text(exc, ctx)}", source=ErrorSource.IMPLEMENTATION
        )
    return _judge(data, dirty, mild, runner, n_rows)


class _Runner:
    """Validates the dirty or the mild orders through one of the learner's entry points."""

    who = ""
    chunk = 0

    def __init__(self) -> None:
        self.changed: list[str] = []

    def run(self, which: str) -> Any:
        raise NotImplementedError


class _WholeFrame(_Runner):
    def __init__(self, impl: Any, data: GraderOrders, rules_path: Path) -> None:
        super().__init__()
        validator_class = require(impl, "DataValidator")
        validator = validator_class(str(rules_path))  # one validator for both runs
        method = getattr(validator, "validate_dataset", None)
        if not callable(method):
            raise InterfaceError(f"{where(validator_class)} has no validate_dataset(df) method")
        self._method, self._data = method, data
        self.who = f"{where(method)}(df)"

    def run(self, which: str) -> Any:
        frame = self._data.dirty if which == "dirty" else self._data.mild
        given = frame.copy(deep=True)
        report = self._method(given)
        self.changed += _changes(frame, given, which)
        return report


class _Chunked(_Runner):
    def __init__(self, impl: Any, folder: Path, data: GraderOrders, rules_path: Path) -> None:
        super().__init__()
        process = require(impl, "process_large_dataset")
        accepted = accepted_parameters(process)
        if accepted is not None and "chunk_size" not in accepted:
            raise InterfaceError(
                f"{where(process)} takes no chunk_size argument (it has {sorted(accepted)}): the "
                "skeleton's signature is process_large_dataset(file_path, rules_path, chunk_size=...)"
            )
        self.chunk = max(math.ceil(len(data.dirty) / CHUNKS), 1)
        self._paths = {"dirty": folder / "orders.csv", "mild": folder / "orders_warnings_only.csv"}
        data.dirty.to_csv(self._paths["dirty"], index=False)
        data.mild.to_csv(self._paths["mild"], index=False)
        self._process, self._rules = process, rules_path
        self.who = f"{where(process)}(orders.csv, orders_rules.yaml, chunk_size={self.chunk})"

    def run(self, which: str) -> Any:
        return self._process(str(self._paths[which]), str(self._rules), chunk_size=self.chunk)


def _changes(original: pd.DataFrame, given: pd.DataFrame, which: str) -> list[str]:
    """How validate_dataset changed the frame it was given (it must not)."""
    if given.shape != original.shape or list(given.columns) != list(original.columns):
        return [f"{which} frame: columns/shape {original.shape} -> {given.shape}"]
    found = []
    for column in original.columns:
        before, after = original[column], given[column]
        if before.dtype != after.dtype:
            found.append(f"column {column!r} dtype {before.dtype} -> {after.dtype}")
        elif not before.equals(after):
            found.append(f"column {column!r} values changed")
    return found


def _judge(
    data: GraderOrders,
    dirty: ReadReport,
    mild: ReadReport,
    runner: _Runner,
    n_rows: int,
) -> Measurement:
    expected_pairs = {(rid, row) for rid, rows in data.expected.items() for row in rows}
    found_pairs = {(rid, row) for rid, entry in dirty.rules.items() for row in entry.rows}
    true_pos = len(found_pairs & expected_pairs)
    precision = true_pos / len(found_pairs) if found_pairs else 0.0
    recall = true_pos / len(expected_pairs) if expected_pairs else 1.0
    problems = _rule_problems(data.expected, dirty, data.mostly_rules)
    if dirty.passed is not False:
        problems.append(
            f"report['passed'] is {dirty.passed!r} for data that breaks error rules (False expected)"
        )
    second = "the same orders with only the warning rules' errors left (same validator)"
    if mild.passed is not True:
        problems.append(
            f"on {second} report['passed'] is {mild.passed!r} (True expected: warnings never "
            "fail a report)"
        )
    problems += [
        f"on {second}: {p}" for p in _rule_problems(data.expected_mild, mild, data.mostly_rules)
    ]
    if runner.changed:
        problems.append(
            "validate_dataset changed the DataFrame it was given: " + "; ".join(runner.changed[:3])
        )
    hint = _offset_hint(expected_pairs, found_pairs, runner.chunk)
    score = round(100 * min(precision, recall), 3)
    evidence = (
        f"{runner.who} on {n_rows} generated orders: {len(expected_pairs)} labelled (rule, row) "
        f"errors over {len(data.expected)} rules; the report listed {len(found_pairs)}, precision "
        f"{precision:.2%}, recall {recall:.2%}"
    )
    if problems:
        evidence += "; " + "; ".join(problems[:6])
    if hint:
        evidence += f"; {hint}"
    return Measurement(
        value=score,
        passed=score >= 100 and not problems,
        evidence=evidence,
        details={"precision": precision, "recall": recall, "problems": problems[:20]},
    )


def _rule_problems(
    expected: dict[str, set[int]], report: ReadReport, mostly: set[str]
) -> list[str]:
    """Per rule: present, count equal to its labelled rows, rows listed, verdict consistent."""
    problems = []
    for rid, rows in sorted(expected.items()):
        entry = report.rules.get(rid)
        if entry is None:
            problems.append(
                f"no report entry for rule {rid} (have: {', '.join(sorted(report.rules)[:6])})"
            )
            continue
        if entry.failing_count != len(rows):
            problems.append(f"{rid}: failing_count {entry.failing_count} (expected {len(rows)})")
        missed, extra = sorted(rows - entry.rows), sorted(entry.rows - rows)
        if missed or extra:
            parts = [
                f"missed {len(missed)} e.g. {missed[:3]}" if missed else "",
                f"extra {len(extra)} e.g. {extra[:3]}" if extra else "",
            ]
            problems.append(f"{rid}: rows listed differ ({', '.join(p for p in parts if p)})")
        if entry.bad_indices:
            problems.append(
                f"{rid}: sample indices that are not row numbers: {entry.bad_indices[:3]}"
            )
        if rid not in mostly and entry.passed is not (len(rows) == 0):
            problems.append(f"{rid}: passed={entry.passed!r} with {len(rows)} failing rows")
    return problems


def _offset_hint(expected: set[tuple[str, int]], found: set[tuple[str, int]], chunk: int) -> str:
    """Name a systematic shift of the listed rows (1-based rows, numbering restarted per chunk)."""
    stray = found - expected
    if not stray or len(stray) < 0.5 * len(found):
        return ""
    for shift in (1, 2, -1):
        if len({(rid, row - shift) for rid, row in stray} & expected) >= 0.9 * len(stray):
            return (
                f"the listed rows are the labelled ones shifted by {shift:+d}: 'index' is the "
                "0-based position among the data rows (the first data row is 0)"
            )
    if chunk:
        labelled = {(rid, row % chunk) for rid, row in expected}
        if len(stray & labelled) >= 0.9 * len(stray):
            return (
                "the listed rows look numbered from 0 again in every chunk: 'index' is the row's "
                "position in the whole file"
            )
    return ""
