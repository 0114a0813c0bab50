"""Flawed (inheritance): one Rule class whose check() switches on the rule name; no hierarchy.

A week-2 learner's single file that shares no code with stage1_validation. The decorator keeps
its figures on the wrapper (``func.last_record``, a dict) and uses tracemalloc for the peak.
"""

import functools
import json
import logging
import os
import tempfile
import time
import tracemalloc
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pandas as pd
import yaml

log = logging.getLogger("learner")


class DataQualityError(Exception):
    """Base of this module's errors."""


class ConfigError(DataQualityError):
    """A rules file cannot be used."""


class DataFileError(DataQualityError):
    """A data file cannot be read."""


class DataValidationError(DataQualityError):
    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


class Rule:
    """One class for every rule: check() switches on the rule's name."""

    NAMES = ("not_null", "dtype", "range", "allowed_values", "regex", "str_length",
             "date_format", "unique", "compare", "row_count")

    def __init__(self, name, column=None, severity="error", mostly=1.0, **params):
        self.name, self.column, self.severity, self.mostly, self.params = (
            name, column, severity, mostly, params
        )
        if name == "range":
            for key in ("min", "max"):
                if key in params and not isinstance(params[key], (int, float)):
                    raise TypeError(f"range: key 'min'/'max' must be a number, got {params[key]!r}")

    def columns(self):
        if self.name == "unique":
            return self.params.get("columns") or [self.column]
        if self.name == "compare":
            return [self.params["left"], self.params["right"]]
        if self.name == "row_count":
            return []
        return [self.column]

    def check(self, df):
        """True where a row fails."""
        p = self.params
        if self.name in ("unique", "compare", "row_count"):
            if self.name == "unique":
                keys = df[self.columns()]
                return keys.duplicated(keep=False) & keys.notna().all(axis=1)
            if self.name == "compare":
                left = pd.to_datetime(df[p["left"]], errors="coerce", format="ISO8601")
                right = pd.to_datetime(df[p["right"]], errors="coerce", format="ISO8601")
                return left.notna() & right.notna() & ~(left >= right)
            return pd.Series(False, index=df.index)
        values = df[self.column]
        if self.name == "not_null":
            return values.isna()
        if self.name == "dtype":
            if pd.api.types.is_integer_dtype(values):
                return pd.Series(False, index=df.index)
            numbers = pd.to_numeric(values, errors="coerce")
            return values.notna() & (numbers.isna() | (numbers % 1 != 0))
        if self.name == "range":
            numbers = pd.to_numeric(values, errors="coerce")
            bad = pd.Series(False, index=df.index)
            if "min" in p:
                bad |= numbers < p["min"]
            if "max" in p:
                bad |= numbers > p["max"]
            return bad
        if self.name == "allowed_values":
            return values.notna() & ~values.isin(p["values"])
        if self.name == "regex":
            return values.notna() & ~values.astype(str).str.fullmatch(p["pattern"])
        if self.name == "str_length":
            lengths = values.astype(str).str.len()
            return values.notna() & ((lengths < p["min"]) | (lengths > p["max"]))
        if self.name == "date_format":
            parsed = pd.to_datetime(values, format=p["format"], errors="coerce")
            return values.notna() & parsed.isna()
        raise ValueError(f"unknown rule {self.name!r}")


RULES: dict[str, Any] = {name: functools.partial(Rule, name) for name in Rule.NAMES}


def register_rule(rule_class):
    RULES[rule_class.name] = rule_class
    return rule_class


class DataValidator:
    def __init__(self, config_path: str):
        self.path = config_path
        try:
            with open(config_path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ConfigError(f"{config_path}: cannot read ({exc})") from exc
        if not raw.strip():
            raise ConfigError(f"{config_path}: file is empty")
        try:
            config = yaml.safe_load(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{config_path}: not UTF-8") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{config_path}: malformed YAML: {exc}") from exc
        self.sample_size = config.get("sample_size", 5)
        self._rules = []
        entries = [(None, r) for r in (config.get("dataset") or {}).get("rules", [])]
        entries += [(c, r) for c, rules in (config.get("columns") or {}).items() for r in rules]
        for column, entry in entries:
            params = dict(entry)
            name = params.pop("rule")
            if name not in RULES:
                raise ConfigError(f"{config_path}: unknown rule {name!r}")
            try:
                self._rules.append(RULES[name](column=column, **params))
            except TypeError as exc:
                raise ConfigError(f"{config_path}: rule {name!r}: {exc}") from exc

    @property
    def validation_rules(self):
        return list(self._rules)

    def validate_dataset(self, df: pd.DataFrame) -> dict[str, Any]:
        self.check_columns(df)
        return self._report({id(r): r.check(df) for r in self._rules}, len(df))

    def check_columns(self, df):
        missing = [c for r in self._rules for c in r.columns() if c not in df.columns]
        if missing:
            raise ConfigError(f"{self.path}: missing column(s) {missing}")

    def _report(self, masks, rows):
        results = []
        for rule in self._rules:
            mask = masks[id(rule)]
            failing = int(mask.sum())
            if rule.name == "row_count":
                ok = self._rule_params_ok(rule, rows)
                failing = 0 if ok else 1
            cols = rule.columns()
            samples = [
                {"index": int(i), "value": None} for i in mask[mask].index[: self.sample_size]
            ]
            column = cols[0] if len(cols) == 1 else (cols or None)
            passed = failing == 0 or (1 - failing / max(rows, 1)) >= rule.mostly
            results.append(
                {
                    "rule": rule.name,
                    "column": column,
                    "severity": rule.severity,
                    "passed": passed,
                    "failing_count": failing,
                    "failing_ratio": failing / max(rows, 1),
                    "params": rule.params,
                    "samples": samples,
                }
            )
        failed = [r for r in results if not r["passed"] and r["severity"] == "error"]
        return {
            "passed": not failed,
            "rules": results,
            "summary": {"rows": rows, "rules_run": len(results), "failed": len(failed)},
        }

    @staticmethod
    def _rule_params_ok(rule, rows):
        return rule.params.get("min", 0) <= rows <= rule.params.get("max", rows)


def write_report(report: dict[str, Any], path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(report, handle)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def performance_monitor(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started_tracing = not tracemalloc.is_tracing()
        if started_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            wall = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            if started_tracing:
                tracemalloc.stop()
            wrapper.last_record = {"wall_s": wall, "peak_mb": (peak - before) / 2**20}
            log.info("%s took %.1f ms, peak %.1f MiB", func.__name__, wall * 1000, (peak - before) / 2**20)

    wrapper.last_record = None
    return wrapper


@performance_monitor
def process_large_dataset(file_path: str, rules_path: str | None = None, chunk_size: int = 100_000):
    if not os.path.isfile(file_path):
        raise DataFileError(f"{file_path}: no such data file")
    validator = DataValidator(rules_path) if rules_path else None
    masks, keys = {}, {}
    with pd.read_csv(file_path, chunksize=chunk_size, encoding="utf-8") as reader:
        rows = _scan(reader, validator, masks, keys)
    if validator is None:
        return {"passed": True, "rules": [], "summary": {"rows": rows}}
    merged = {k: pd.concat(v) for k, v in masks.items()}
    for rule in validator.validation_rules:
        if rule.name == "unique":
            merged[id(rule)] = rule.check(pd.concat(keys[id(rule)]))
    return validator._report(merged, rows)


def _scan(reader, validator, masks, keys):
    """Run every rule on each chunk; unique rules keep their key columns for the end."""
    rows = 0
    for chunk in reader:
        rows += len(chunk)
        if validator is None:
            continue
        if rows == len(chunk):
            validator.check_columns(chunk)
        for rule in validator.validation_rules:
            if rule.name == "unique":
                keys.setdefault(id(rule), []).append(chunk[rule.columns()])
            else:
                masks.setdefault(id(rule), []).append(rule.check(chunk))
    return rows
