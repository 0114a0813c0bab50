"""Honest, third design: rule functions in a dict, a small class hierarchy around them.

* Column checks are plain functions registered in ``CHECKS`` (``@column_check("range")``); each
  returns a mask of the values that PASS. One ``ColumnRule`` subclass per function is generated
  from the dict; ``unique``, ``compare`` and ``row_count`` are classes of their own. The
  validator only ever calls ``rule.evaluate(df)``.
* Parameters are checked when a rule runs: a bad ``min`` surfaces as a RuleError at validation.
* ``process_large_dataset`` opens the file itself (``with open``) and hands the handle to
  ``pd.read_csv(..., chunksize=...)``.
* ``performance_monitor`` logs one line per call, ``wall_s=... peak_mb=...`` (no record API).
"""

import functools
import json
import logging
import os
import time
import tracemalloc
from abc import ABC, abstractmethod

import pandas as pd
import yaml

log = logging.getLogger(__name__)


class ValidatorError(Exception):
    pass


class ConfigError(ValidatorError):
    pass


class RuleError(ConfigError):
    pass


class DataFileError(ValidatorError):
    pass


CHECKS = {}


def column_check(name, skip_nulls=True):
    def register(fn):
        fn.skip_nulls = skip_nulls
        CHECKS[name] = fn
        return fn

    return register


@column_check("not_null", skip_nulls=False)
def _not_null(values):
    return values.notna()


@column_check("dtype")
def _dtype(values, dtype="str"):
    if dtype in ("int", "int64"):
        numbers = pd.to_numeric(values, errors="coerce")
        return numbers.notna() & (numbers % 1 == 0)
    if dtype == "float":
        return pd.to_numeric(values, errors="coerce").notna()
    return pd.Series(True, index=values.index)


@column_check("range")
def _range(values, min=None, max=None):
    numbers = pd.to_numeric(values, errors="coerce")
    ok = pd.Series(True, index=values.index)
    if min is not None:
        ok &= ~(numbers < min)
    if max is not None:
        ok &= ~(numbers > max)
    return ok


@column_check("allowed_values")
def _allowed(column, values):
    return column.isin(values)


@column_check("regex")
def _regex(values, pattern):
    return values.astype(str).str.fullmatch(pattern).fillna(False).astype(bool)


@column_check("str_length")
def _str_length(values, min=0, max=None):
    lengths = values.astype(str).str.len()
    return (lengths >= min) & (lengths <= (max if max is not None else lengths.max()))


@column_check("date_format")
def _date_format(values, format):
    return pd.to_datetime(values, format=format, errors="coerce").notna()


class Rule(ABC):
    kind = ""

    def __init__(self, column=None, severity="error", mostly=1.0, **params):
        self.column = column
        self.severity = severity
        self.mostly = mostly
        self.params = params

    def needed_columns(self):
        return [self.column] if self.column else []

    def label(self):
        cols = self.needed_columns()
        return cols[0] if len(cols) == 1 else (cols or None)

    @abstractmethod
    def evaluate(self, df):
        """A boolean Series: True where the row PASSES."""

    def run(self, df):
        try:
            return self.evaluate(df)
        except (TypeError, ValueError) as exc:
            raise RuleError(f"rule {self.kind} on {self.label()}: bad parameters {self.params}: {exc}") from exc


class ColumnRule(Rule):
    check = None

    def evaluate(self, df):
        values = df[self.column]
        ok = type(self).check(values, **self.params)
        if type(self).check.skip_nulls:
            ok = ok | values.isna()
        return ok.astype(bool)


RULE_TYPES = {}


def register_rule(rule_class):
    RULE_TYPES[rule_class.kind] = rule_class
    return rule_class


for _name, _fn in CHECKS.items():
    _class_name = "".join(part.title() for part in _name.split("_")) + "Rule"
    register_rule(type(_class_name, (ColumnRule,), {"kind": _name, "check": staticmethod(_fn)}))


@register_rule
class UniqueRule(Rule):
    kind = "unique"

    def needed_columns(self):
        return list(self.params.get("columns") or [self.column])

    def evaluate(self, df):
        keys = df[self.needed_columns()]
        return ~(keys.duplicated(keep=False) & keys.notna().all(axis=1))


@register_rule
class CompareRule(Rule):
    kind = "compare"

    def needed_columns(self):
        return [self.params["left"], self.params["right"]]

    def evaluate(self, df):
        left, right = df[self.params["left"]], df[self.params["right"]]
        if self.params.get("as_type") == "datetime":
            left = pd.to_datetime(left, errors="coerce", format="ISO8601")
            right = pd.to_datetime(right, errors="coerce", format="ISO8601")
        op = self.params["op"]
        result = {
            "<": left < right,
            "<=": left <= right,
            "==": left == right,
            "!=": left != right,
            ">=": left >= right,
            ">": left > right,
        }[op]
        return result | left.isna() | right.isna()


@register_rule
class RowCountRule(Rule):
    kind = "row_count"

    def evaluate(self, df):
        return pd.Series(True, index=df.index)

    def count_ok(self, rows):
        return self.params.get("min", 0) <= rows <= self.params.get("max", rows)


def read_rules_file(path):
    if not os.path.exists(path):
        raise ConfigError(f"{path}: no such rules file")
    try:
        with open(path, encoding="utf-8") as fh:
            config = yaml.safe_load(fh)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from exc
    if config is None:
        raise ConfigError(f"{path}: the rules file is empty")
    return config


class DataValidator:
    def __init__(self, config_path: str):
        self.path = config_path
        self.config = read_rules_file(config_path)
        self.sample_size = self.config.get("sample_size", 5)

    @property
    def validation_rules(self):
        entries = [(None, e) for e in (self.config.get("dataset") or {}).get("rules", [])]
        for column, rules in (self.config.get("columns") or {}).items():
            entries += [(column, e) for e in rules]
        built = []
        for column, entry in entries:
            params = dict(entry)
            kind = params.pop("rule", None)
            if kind not in RULE_TYPES:
                raise ConfigError(f"{self.path}: unknown rule {kind!r}")
            built.append(RULE_TYPES[kind](column=column, **params))
        return built

    def validate_dataset(self, df: pd.DataFrame):
        rules = self.validation_rules
        self._require_columns(rules, df.columns)
        failing = [list(df.index[~rule.run(df)]) for rule in rules]
        return make_report(rules, failing, len(df), self.sample_size)

    def _require_columns(self, rules, columns):
        missing = [c for r in rules for c in r.needed_columns() if c not in columns]
        if missing:
            raise ConfigError(f"{self.path}: columns not in the data: {', '.join(missing)}")


def make_report(rules, failing, rows, sample_size):
    entries = []
    for rule, bad in zip(rules, failing):
        count = len(bad)
        if isinstance(rule, RowCountRule):
            passed = rule.count_ok(rows)
        else:
            passed = rows == 0 or (1 - count / rows) >= rule.mostly
        entries.append(
            {
                "rule": rule.kind,
                "column": rule.label(),
                "severity": rule.severity,
                "passed": bool(passed),
                "failing_count": count,
                "failing_ratio": count / rows if rows else 0.0,
                "params": rule.params,
                "samples": [{"index": int(i)} for i in bad[:sample_size]],
            }
        )
    errors = [e for e in entries if not e["passed"] and e["severity"] == "error"]
    return {"passed": not errors, "summary": {"rows": rows, "errors": len(errors)}, "rules": entries}


def write_report(report, path):
    part = path + ".part"
    try:
        with open(part, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
        os.replace(part, path)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise


def performance_monitor(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        own = not tracemalloc.is_tracing()
        if own:
            tracemalloc.start()
        else:
            tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - t0
            peak = (tracemalloc.get_traced_memory()[1] - base) / (1024 * 1024)
            if own:
                tracemalloc.stop()
            log.info("%s wall_s=%.4f peak_mb=%.2f", func.__qualname__, elapsed, peak)

    return wrapper


@performance_monitor
def process_large_dataset(file_path: str, rules_path: str = None, chunk_size: int = 100_000):
    validator = DataValidator(rules_path)
    rules = validator.validation_rules
    failing = [[] for _ in rules]
    keys = {}
    rows = 0
    try:
        fh = open(file_path, encoding="utf-8", newline="")
    except OSError as exc:
        raise DataFileError(f"{file_path}: cannot open the data file ({exc.strerror})") from exc
    with fh:
        for chunk in pd.read_csv(fh, chunksize=chunk_size):
            if rows == 0:
                validator._require_columns(rules, chunk.columns)
            for i, rule in enumerate(rules):
                if isinstance(rule, UniqueRule):
                    keys.setdefault(i, []).append(chunk[rule.needed_columns()])
                else:
                    failing[i] += list(chunk.index[~rule.run(chunk)])
            rows += len(chunk)
    for i, parts in keys.items():
        whole = pd.concat(parts)
        failing[i] = list(whole.index[~rules[i].evaluate(whole)])
    return make_report(rules, failing, rows, validator.sample_size)
