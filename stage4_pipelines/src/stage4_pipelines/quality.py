"""The quality gate (품질 게이트): validate a day's facts against the SLA before any mart is built.

The SLA is a folder of stage 1 rule files, one per table (``sla/fact_orders.yaml``...). The
validator behind it is stage 1's ``DataValidator``; :func:`validate_table` is the one place that
knows this, and falls back to a small built-in evaluator of the same rule format while stage 1
is not installed (the report says which one ran).
"""

from __future__ import annotations

import operator
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, Field

from stage4_pipelines.errors import ConfigError, QualityGateError
from stage4_pipelines.staging import write_text_atomic

__all__ = ["QualityReport", "TableQuality", "run_quality_gate", "validate_table"]


class TableQuality(BaseModel):
    """The verdict on one table."""

    table: str
    rows: int
    passed: bool
    failed_rules: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class QualityReport(BaseModel):
    """The gate's verdict on one day, written as JSON next to the alert that cites it."""

    day: date
    passed: bool
    validator: str
    sla_dir: str
    tables: list[TableQuality]
    report_path: str | None = None

    @property
    def failed_rules(self) -> list[str]:
        """``table.column:rule`` of every failing error-severity rule."""
        return [f"{t.table}.{r}" for t in self.tables for r in t.failed_rules]


def validate_table(df: pd.DataFrame, rules_path: Path) -> tuple[dict[str, Any], str]:
    """Validate ``df`` with the rules file; returns stage 1's report dict and the validator used."""
    try:
        from stage1_validation import DataValidator  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return _builtin_validate(df, rules_path), "builtin"
    return DataValidator(str(rules_path)).validate_dataset(df), "stage1_validation"


def run_quality_gate(
    day: date, tables: dict[str, pd.DataFrame], sla_dir: Path, reports_dir: Path
) -> QualityReport:
    """Check every table that has a rules file; write the report; raise if the SLA is breached."""
    rule_files = sorted(Path(sla_dir).glob("*.yaml"))
    if not rule_files:
        raise ConfigError(f"no SLA rule files (*.yaml) in {sla_dir}: set STAGE4_SLA_DIR")
    verdicts, validator = [], "builtin"
    for path in rule_files:
        if path.stem not in tables:
            continue
        report, validator = validate_table(tables[path.stem], path)
        failed, warnings = _failing_rules(report)
        verdicts.append(
            TableQuality(
                table=path.stem,
                rows=len(tables[path.stem]),
                passed=bool(report["passed"]),
                failed_rules=failed,
                warnings=warnings,
            )
        )
    report_path = Path(reports_dir) / f"quality_{day.isoformat()}.json"
    result = QualityReport(
        day=day,
        passed=all(v.passed for v in verdicts),
        validator=validator,
        sla_dir=str(sla_dir),
        tables=verdicts,
        report_path=str(report_path),
    )
    write_text_atomic(report_path, result.model_dump_json(indent=2))
    if not result.passed:
        raise QualityGateError(
            f"day {day} breached the quality SLA: {', '.join(result.failed_rules)} "
            f"(report: {report_path})",
            report_path=report_path,
            failed_rules=result.failed_rules,
        )
    return result


def _failing_rules(report: dict[str, Any]) -> tuple[list[str], list[str]]:
    failed: list[str] = []
    warnings: list[str] = []
    for rule in report.get("rules", []):
        if rule.get("passed", True):
            continue
        column = rule.get("column") or "dataset"
        column = "+".join(column) if isinstance(column, list) else column
        name = f"{column}:{rule.get('rule')}"
        if rule.get("message"):  # stage 1 explains each failure, e.g. "3 of 200 row(s) fail ..."
            name += f" ({rule['message']})"
        (warnings if rule.get("severity") == "warning" else failed).append(name)
    return failed, warnings


# --- built-in evaluator of the stage 1 rule format (used only when stage 1 is missing) ---------

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def _builtin_validate(df: pd.DataFrame, rules_path: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(Path(rules_path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read SLA rules {rules_path}: {exc}") from exc
    results = [_check(df, None, rule) for rule in (spec.get("dataset") or {}).get("rules", [])]
    for column, rules in (spec.get("columns") or {}).items():
        results.extend(_check(df, column, rule) for rule in rules)
    errors = [r for r in results if not r["passed"] and r["severity"] == "error"]
    return {
        "passed": not errors,
        "summary": {"total": len(results), "failed": sum(not r["passed"] for r in results)},
        "rules": results,
    }


def _check(df: pd.DataFrame, column: str | None, rule: dict[str, Any]) -> dict[str, Any]:
    kind = rule["rule"]
    severity = rule.get("severity", "error")
    mostly = float(rule.get("mostly", 1.0))
    if column is not None and column not in df.columns:
        return _verdict(
            kind, column, severity, failing=len(df) or 1, total=len(df) or 1, mostly=1.0
        )
    col = df[column] if column is not None else None
    failing: int
    if kind == "row_count":
        failing = int(len(df) < rule.get("min", 0) or len(df) > rule.get("max", float("inf")))
        return _verdict(kind, column, severity, failing=failing, total=1, mostly=1.0)
    if kind == "unique":
        failing = int(df.duplicated(subset=rule.get("columns") or [column], keep=False).sum())
    elif kind == "compare":
        ok = _OPS[rule["op"]](df[rule["left"]], df[rule["right"]])
        failing = int((~ok.fillna(False).astype(bool)).sum())
    elif col is not None and kind == "not_null":
        failing = int(col.isna().sum())
    elif col is not None and kind == "dtype":
        failing = 0 if str(col.dtype) == rule["dtype"] else len(df)
    elif col is not None and kind == "range":
        values = pd.to_numeric(col, errors="coerce").dropna()
        bad = (values < rule.get("min", float("-inf"))) | (values > rule.get("max", float("inf")))
        failing = int(bad.sum())
    elif col is not None and kind == "allowed_values":
        failing = int((~col.dropna().isin(rule["values"])).sum())
    elif col is not None and kind == "regex":
        pattern = re.compile(rule["pattern"])
        failing = int((~col.dropna().astype(str).map(lambda v: bool(pattern.match(v)))).sum())
    else:
        raise ConfigError(f"unknown rule {kind!r} in the SLA; see stage 1's rule list")
    return _verdict(kind, column, severity, failing=failing, total=len(df), mostly=mostly)


def _verdict(
    kind: str, column: str | None, severity: str, *, failing: int, total: int, mostly: float
) -> dict[str, Any]:
    passed = failing == 0 or (total > 0 and 1 - failing / total >= mostly and mostly < 1.0)
    return {
        "rule": kind,
        "column": column,
        "severity": severity,
        "passed": passed,
        "failing_count": failing,
        "total": total,
    }
