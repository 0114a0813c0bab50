"""The validation report: typed models, and the plain JSON-ready dict users get back."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

__all__ = ["RuleResult", "Sample", "Summary", "ValidationReport", "to_jsonable"]


class Sample(BaseModel):
    """One failing row: its index, the offending value(s) and, when configured, its key."""

    index: Any = None
    value: Any = None
    key: dict[str, Any] | None = None


class RuleResult(BaseModel):
    """The outcome of one rule over the whole dataset."""

    rule: str
    column: str | list[str] | None
    severity: str
    passed: bool
    failing_count: int
    failing_ratio: float
    rows_checked: int
    mostly: float = 1.0
    params: dict[str, Any] = Field(default_factory=dict)
    samples: list[Sample] = Field(default_factory=list)
    message: str = ""


class Summary(BaseModel):
    """Totals of a report; ``failed`` counts error rules, ``warnings`` failed warning rules."""

    rows: int
    columns: int
    rules_run: int
    passed: int
    failed: int
    warnings: int
    duration_s: float


class ValidationReport(BaseModel):
    """Everything one validation found; ``to_dict`` is what ``validate_dataset`` returns."""

    passed: bool
    summary: Summary
    rules: list[RuleResult]
    source: str | None = None
    rules_file: str | None = None
    key_columns: list[str] = Field(default_factory=list)

    @classmethod
    def build(
        cls,
        results: list[RuleResult],
        *,
        rows: int,
        columns: int,
        duration_s: float,
        source: str | None = None,
        rules_file: str | None = None,
        key_columns: list[str] | None = None,
    ) -> ValidationReport:
        """Count the results into a summary; the report passes when no error rule failed."""
        failed = sum(1 for r in results if not r.passed and r.severity == "error")
        warnings = sum(1 for r in results if not r.passed and r.severity != "error")
        summary = Summary(
            rows=rows,
            columns=columns,
            rules_run=len(results),
            passed=sum(1 for r in results if r.passed),
            failed=failed,
            warnings=warnings,
            duration_s=round(duration_s, 6),
        )
        return cls(
            passed=failed == 0,
            summary=summary,
            rules=results,
            source=source,
            rules_file=rules_file,
            key_columns=list(key_columns or []),
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict that ``json.dumps`` accepts (samples without a key omit ``key``)."""
        data = self.model_dump(mode="python")
        for rule in data["rules"]:
            for sample in rule["samples"]:
                if sample["key"] is None:
                    del sample["key"]
        return data


def to_jsonable(value: Any) -> Any:
    """Turn a pandas/numpy cell into a JSON value (NaN/NaT -> None, Timestamp -> ISO text)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
