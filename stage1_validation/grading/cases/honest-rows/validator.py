"""Honest, different design: dataclass rules that return the failing rows, the csv module for chunks.

* Each rule is a dataclass; ``failing_rows(df)`` returns the index labels of the rows that fail
  (a list), not a mask. Subclasses register themselves through ``__init_subclass__`` under their
  ``rule_name``; ``register_rule`` does the same for classes defined elsewhere.
* The report is a dataclass turned into a dict with ``dataclasses.asdict``.
* ``process_large_dataset`` reads the CSV with the ``csv`` module in batches of ``chunk_size``
  rows, inside ``with open(...)``; duplicates are found across batches by keeping each key's rows.
* ``performance_monitor`` samples the process RSS in a thread (psutil) for the peak and keeps the
  last measurement for ``last_record()``.
* ``write_report`` serialises with ``default=str`` first, then writes a temp file and renames it.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import pandas as pd
import psutil
import yaml


# ---------------------------------------------------------------- errors
class ValidationLibraryError(Exception):
    """Everything this module raises on purpose."""


class RulesFileError(ValidationLibraryError):
    """The rules file cannot be read or parsed."""


class UnknownRuleError(ValidationLibraryError):
    """A rule name that no rule class has."""


class BadParameterError(ValidationLibraryError):
    """A rule parameter of the wrong type."""


class MissingColumnError(ValidationLibraryError):
    """The data lacks a column the rules need."""


class DataFileError(ValidationLibraryError):
    """The data file cannot be read."""


# ---------------------------------------------------------------- helpers
def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def as_date(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        return None


# ---------------------------------------------------------------- rules
RULES: dict[str, type[Rule]] = {}


@dataclass
class Rule(ABC):
    rule_name: ClassVar[str] = ""
    column: str | None = None
    severity: str = "error"
    mostly: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.rule_name:
            RULES[cls.rule_name] = cls

    def __post_init__(self) -> None:
        self.check_params()

    def check_params(self) -> None:
        """Subclasses refuse parameters of the wrong type here."""

    def columns(self) -> list[str]:
        return [self.column] if self.column else []

    def describe_column(self) -> Any:
        cols = self.columns()
        return cols[0] if len(cols) == 1 else (cols or None)

    @abstractmethod
    def failing_rows(self, df: pd.DataFrame) -> list[Any]:
        """Index labels of the rows of ``df`` that fail this rule."""


class ValueRule(Rule):
    """A rule judged one value at a time; missing values pass."""

    def failing_rows(self, df: pd.DataFrame) -> list[Any]:
        return [
            label
            for label, value in df[self.column].items()
            if not is_missing(value) and not self.value_ok(value)
        ]

    def value_ok(self, value: Any) -> bool:
        raise NotImplementedError


class NotNullRule(Rule):
    rule_name = "not_null"

    def failing_rows(self, df: pd.DataFrame) -> list[Any]:
        return [label for label, value in df[self.column].items() if is_missing(value)]


class DtypeRule(ValueRule):
    rule_name = "dtype"

    def value_ok(self, value: Any) -> bool:
        kind = self.params.get("dtype", "str")
        if kind in ("int", "int64"):
            number = as_number(value)
            return number is not None and number.is_integer()
        if kind == "float":
            return as_number(value) is not None
        return True


class RangeRule(ValueRule):
    rule_name = "range"

    def check_params(self) -> None:
        for key in ("min", "max"):
            if key in self.params and as_number(self.params[key]) is None:
                raise BadParameterError(
                    f"rule range on {self.column!r}: {key}={self.params[key]!r} is not a number"
                )

    def value_ok(self, value: Any) -> bool:
        number = as_number(value)
        if number is None:
            return True  # not a number: the dtype rule's business
        low, high = self.params.get("min"), self.params.get("max")
        return (low is None or number >= low) and (high is None or number <= high)


class AllowedValuesRule(ValueRule):
    rule_name = "allowed_values"

    def value_ok(self, value: Any) -> bool:
        return value in set(self.params["values"])


class RegexRule(ValueRule):
    rule_name = "regex"

    def value_ok(self, value: Any) -> bool:
        return re.fullmatch(self.params["pattern"], str(value)) is not None


class StrLengthRule(ValueRule):
    rule_name = "str_length"

    def value_ok(self, value: Any) -> bool:
        size = len(str(value))
        return self.params.get("min", 0) <= size <= self.params.get("max", size)


class DateFormatRule(ValueRule):
    rule_name = "date_format"

    def value_ok(self, value: Any) -> bool:
        try:
            datetime.strptime(str(value), self.params["format"])
        except ValueError:
            return False
        return True


class UniqueRule(Rule):
    rule_name = "unique"

    def columns(self) -> list[str]:
        return list(self.params.get("columns") or [self.column])

    def keys(self, df: pd.DataFrame) -> list[tuple[Any, tuple[Any, ...]]]:
        cols = self.columns()
        found = []
        for label, row in zip(df.index, df[cols].itertuples(index=False)):
            key = tuple(str(v) for v in row)
            if not any(is_missing(v) for v in row):
                found.append((label, key))
        return found

    def failing_rows(self, df: pd.DataFrame) -> list[Any]:
        return duplicated_labels(self.keys(df))


class CompareRule(Rule):
    rule_name = "compare"
    OPS: ClassVar[dict[str, Any]] = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
    }

    def columns(self) -> list[str]:
        return [self.params["left"], self.params["right"]]

    def failing_rows(self, df: pd.DataFrame) -> list[Any]:
        op = self.OPS[self.params["op"]]
        parse = as_date if self.params.get("as_type") == "datetime" else as_number
        bad = []
        for label, left, right in zip(df.index, df[self.params["left"]], df[self.params["right"]]):
            a, b = parse(left), parse(right)
            if a is not None and b is not None and not op(a, b):
                bad.append(label)
        return bad


class RowCountRule(Rule):
    rule_name = "row_count"

    def failing_rows(self, df: pd.DataFrame) -> list[Any]:
        return []

    def count_ok(self, rows: int) -> bool:
        return self.params.get("min", 0) <= rows <= self.params.get("max", rows)


def duplicated_labels(keys: list[tuple[Any, tuple[Any, ...]]]) -> list[Any]:
    seen: dict[tuple[Any, ...], list[Any]] = {}
    for label, key in keys:
        seen.setdefault(key, []).append(label)
    return sorted(label for labels in seen.values() if len(labels) > 1 for label in labels)


def register_rule(rule_class: type[Rule]) -> type[Rule]:
    """Make a Rule subclass defined elsewhere usable from rules files by its rule_name."""
    RULES[rule_class.rule_name] = rule_class
    return rule_class


# ---------------------------------------------------------------- report
@dataclass
class RuleResult:
    rule: str
    column: Any
    severity: str
    passed: bool
    failing_count: int
    failing_ratio: float
    params: dict[str, Any]
    samples: list[dict[str, Any]]


@dataclass
class Report:
    passed: bool
    summary: dict[str, Any]
    rules: list[RuleResult]


def build_report(rules: list[Rule], failing: dict[int, list[Any]], rows: int, sample_size: int, values: dict[int, dict[Any, Any]]) -> dict[str, Any]:
    results = []
    for position, rule in enumerate(rules):
        bad = failing[position]
        count = len(bad)
        if isinstance(rule, RowCountRule):
            ok = rule.count_ok(rows)
        else:
            ok = count <= (1 - rule.mostly) * rows if rows else True
            ok = ok if rule.mostly < 1 else count == 0
        results.append(
            RuleResult(
                rule=rule.rule_name,
                column=rule.describe_column(),
                severity=rule.severity,
                passed=ok,
                failing_count=count,
                failing_ratio=count / rows if rows else 0.0,
                params=rule.params,
                samples=[{"index": int(i), "value": values.get(position, {}).get(i)} for i in bad[:sample_size]],
            )
        )
    failed = [r for r in results if not r.passed and r.severity == "error"]
    summary = {"rows": rows, "rules_run": len(results), "failed": len(failed)}
    return asdict(Report(passed=not failed, summary=summary, rules=results))


# ---------------------------------------------------------------- validator
class DataValidator:
    def __init__(self, config_path: str):
        self.config_path = config_path
        try:
            with open(config_path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError as exc:
            raise RulesFileError(f"rules file {config_path} does not exist") from exc
        except UnicodeDecodeError as exc:
            raise RulesFileError(f"rules file {config_path} is not UTF-8 text") from exc
        if not text.strip():
            raise RulesFileError(f"rules file {config_path} is empty")
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RulesFileError(f"rules file {config_path} is not valid YAML: {exc}") from exc
        if not isinstance(config, dict):
            raise RulesFileError(f"rules file {config_path} must hold a mapping")
        self.sample_size = int(config.get("sample_size", 5))
        self._rules = [self._make(None, e) for e in (config.get("dataset") or {}).get("rules", [])]
        for column, entries in (config.get("columns") or {}).items():
            self._rules += [self._make(column, e) for e in entries]

    def _make(self, column: str | None, entry: dict[str, Any]) -> Rule:
        params = dict(entry)
        name = params.pop("rule", None)
        if name not in RULES:
            raise UnknownRuleError(f"{self.config_path}: unknown rule {name!r} (known: {sorted(RULES)})")
        severity = params.pop("severity", "error")
        mostly = params.pop("mostly", 1.0)
        return RULES[name](column=column, severity=severity, mostly=mostly, params=params)

    @property
    def validation_rules(self) -> list[Rule]:
        return list(self._rules)

    def check_columns(self, present: list[str]) -> None:
        missing = sorted({c for r in self._rules for c in r.columns() if c not in present})
        if missing:
            raise MissingColumnError(f"{self.config_path}: the data has no column(s) {missing}")

    def validate_dataset(self, df: pd.DataFrame) -> dict[str, Any]:
        self.check_columns(list(df.columns))
        failing, values = {}, {}
        for position, rule in enumerate(self._rules):
            failing[position] = rule.failing_rows(df)
            if rule.columns():
                column = df[rule.columns()[0]]
                values[position] = {i: str(column.get(i)) for i in failing[position][: self.sample_size]}
        return build_report(self._rules, failing, len(df), self.sample_size, values)


def write_report(report: dict[str, Any], path: str) -> None:
    text = json.dumps(report, indent=2, default=str)  # fails before any file is touched
    folder = os.path.dirname(os.path.abspath(path))
    handle = tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False, encoding="utf-8")
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    finally:
        if os.path.exists(handle.name):  # still there: writing or renaming failed
            os.unlink(handle.name)


# ---------------------------------------------------------------- decorator
_LAST: dict[str, Any] | None = None


def last_record() -> dict[str, Any] | None:
    """The measurement of the most recent monitored call."""
    return _LAST


class _PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process()
        self.start_rss = self.process.memory_info().rss
        self.peak = self.start_rss
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def stop(self) -> int:
        self.done.set()
        self.join()
        self.peak = max(self.peak, self.process.memory_info().rss)
        return self.peak - self.start_rss


def performance_monitor(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        global _LAST
        sampler = _PeakSampler()
        sampler.start()
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            wall = time.perf_counter() - started
            grown = sampler.stop()
            _LAST = {"function": func.__name__, "wall_s": wall, "peak_mb": grown / 2**20}
            print(f"[monitor] {func.__name__}: {wall:.3f} s, peak +{grown / 2**20:.1f} MiB")

    return wrapper


# ---------------------------------------------------------------- large files
@performance_monitor
def process_large_dataset(file_path: str, rules_path: str | None = None, chunk_size: int = 100_000):
    if rules_path is None:
        raise RulesFileError("process_large_dataset needs a rules file")
    validator = DataValidator(rules_path)
    rules = validator.validation_rules
    failing: dict[int, list[Any]] = {i: [] for i in range(len(rules))}
    keys: dict[int, list[Any]] = {i: [] for i in range(len(rules)) if isinstance(rules[i], UniqueRule)}
    with _open_data(file_path) as handle:
        rows = _validate_file(handle, validator, chunk_size, failing, keys)
    for position, collected in keys.items():
        failing[position] = duplicated_labels(collected)
    return build_report(rules, failing, rows, validator.sample_size, {})


def _open_data(file_path: str):
    try:
        return open(file_path, newline="", encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataFileError(f"data file {file_path} does not exist") from exc


def _validate_file(handle, validator: DataValidator, chunk_size: int, failing, keys) -> int:
    """Validate the CSV behind ``handle`` in batches of ``chunk_size`` rows; the rows read."""
    rules = validator.validation_rules
    reader = csv.DictReader(handle)
    validator.check_columns(list(reader.fieldnames or []))
    rows = 0
    batch: list[dict[str, str]] = []
    for record in reader:
        batch.append(record)
        if len(batch) == chunk_size:
            rows = _validate_batch(rules, batch, rows, failing, keys)
            batch = []
    if batch:
        rows = _validate_batch(rules, batch, rows, failing, keys)
    return rows


def _validate_batch(rules, batch, start, failing, keys) -> int:
    frame = pd.DataFrame(batch, index=range(start, start + len(batch)), dtype=object)
    for position, rule in enumerate(rules):
        if position in keys:
            keys[position] += rule.keys(frame)
        else:
            failing[position] += rule.failing_rows(frame)
    return start + len(batch)
