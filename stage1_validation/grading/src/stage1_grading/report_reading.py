"""Read a learner's validation report (the dict shape the skeleton fixes) into comparable facts.

The shape: ``{"passed": bool, "rules": [{"rule", "column", "passed", "failing_count",
"samples": [{"index", ...}]}], ...}``. A rule is named ``rule:column`` (columns of a rule over
several columns joined with commas), the way the grader's labels name it.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stage1_grading.interface import InterfaceError

__all__ = ["ReadReport", "RuleEntry", "read_report", "rule_id"]


def rule_id(rule: Any, column: Any) -> str:
    """``range:amount``, ``unique:order_id,line_no``, ``row_count:``."""
    if isinstance(column, list | tuple):
        column = ",".join(str(c) for c in column)
    return f"{rule}:{'' if column is None else column}"


@dataclass
class RuleEntry:
    """One rule of a report: its verdict, its count and the rows it listed as failing."""

    rid: str
    passed: bool | None
    failing_count: int | None
    rows: set[int] = field(default_factory=set)
    bad_indices: list[Any] = field(default_factory=list)


@dataclass
class ReadReport:
    """A whole report: the verdict and each rule's entry by id."""

    passed: bool | None
    rules: dict[str, RuleEntry]


def read_report(report: Any, who: str) -> ReadReport:
    """Check the report's shape and read it; InterfaceError says what is wrong with it."""
    if not isinstance(report, Mapping):
        raise InterfaceError(
            f"{who} returned {type(report).__name__} ({_short(report)}), not a dict: the "
            "skeleton's report is a dict (return dataclasses.asdict(report) for a dataclass)"
        )
    entries = report.get("rules")
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        raise InterfaceError(
            f"{who} returned a dict without a 'rules' list (keys: {sorted(map(str, report))}): "
            "the report lists one entry per rule under 'rules'"
        )
    rules: dict[str, RuleEntry] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or "rule" not in entry:
            raise InterfaceError(
                f"{who}: report['rules'][{position}] is {_short(entry)}, not a dict with 'rule'"
            )
        rid = rule_id(entry.get("rule"), entry.get("column"))
        if rid in rules:
            rid = f"{rid}#{position}"
        rules[rid] = _entry(rid, entry)
    verdict = report.get("passed")
    return ReadReport(passed=_bool(verdict), rules=rules)


def _entry(rid: str, entry: Mapping[str, Any]) -> RuleEntry:
    count = entry.get("failing_count")
    read = RuleEntry(
        rid=rid,
        passed=_bool(entry.get("passed")),
        failing_count=int(count) if count is not None and _is_int(count) else None,
    )
    samples = entry.get("samples") or []
    if isinstance(samples, Sequence) and not isinstance(samples, str | bytes):
        for sample in samples:
            index = sample.get("index") if isinstance(sample, Mapping) else sample
            if index is not None and _is_int(index):
                read.rows.add(int(index))
            else:
                read.bad_indices.append(index)
    return read


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, numbers.Real) and float(value).is_integer()


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
