"""CSVProcessor: diagnostic problem 1 (read a CSV, check empty values and type errors).

A small, self-contained use of the library: the rules are inferred from the file itself
(each column must be complete, and a column that is mostly numbers must be all numbers).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from stage1_validation.chunks import read_data
from stage1_validation.errors import DataValidationError
from stage1_validation.monitor import timing_decorator
from stage1_validation.validator import DataValidator

__all__ = ["CSVProcessor", "infer_rules"]


def infer_rules(df: pd.DataFrame, *, numeric_share: float = 0.5) -> dict[str, Any]:
    """Rules for a file with no rules file: no empty cells; numeric-looking columns numeric."""
    columns: dict[str, list[dict[str, Any]]] = {}
    for name in df.columns:
        values = df[name]
        rules: list[dict[str, Any]] = [{"rule": "not_null"}]
        if pd.api.types.is_numeric_dtype(values):
            rules.append({"rule": "dtype", "dtype": "float"})
        else:
            present = values.dropna()
            numbers = pd.to_numeric(present, errors="coerce").notna()
            if len(present) and numbers.mean() >= numeric_share:
                rules.append({"rule": "dtype", "dtype": "float"})
        columns[str(name)] = rules
    return {"dataset": {"rules": [{"rule": "row_count", "min": 1}]}, "columns": columns}


class CSVProcessor:
    """Read one CSV file and validate it.

    **Usage**::

        processor = CSVProcessor("orders.csv")          # or CSVProcessor(path, rules="r.yaml")
        try:
            report = processor.validate_data()
        except DataValidationError as exc:
            print(exc.report["summary"])
    """

    def __init__(
        self, file_path: str | os.PathLike[str], rules: str | os.PathLike[str] | None = None
    ) -> None:
        self.file_path = Path(file_path)
        self.rules_path = Path(rules) if rules is not None else None
        self.report: dict[str, Any] | None = None

    def read(self) -> pd.DataFrame:
        """The file as a DataFrame (DataFileError names the file when it cannot be read)."""
        return read_data(self.file_path)

    @timing_decorator
    def validate_data(self, *, raise_on_error: bool = True) -> dict[str, Any]:
        """Validate the file; raise DataValidationError (with ``.report``) when it fails."""
        df = self.read()
        if self.rules_path is not None:
            validator = DataValidator(self.rules_path)
        else:
            validator = DataValidator.from_dict(infer_rules(df), source="<inferred rules>")
        self.report = validator.validate_dataset(df, source=str(self.file_path))
        if raise_on_error and not self.report["passed"]:
            raise DataValidationError.from_report(self.report)
        return self.report
