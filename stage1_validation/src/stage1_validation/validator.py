"""DataValidator: rules from a file, applied to a DataFrame (or its chunks), into one report."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from stage1_validation.accumulate import Accumulator
from stage1_validation.backends import Backend, check_backend, engine
from stage1_validation.config import ValidationConfig, load_config, parse_config, save_config
from stage1_validation.errors import DataValidationError, MissingColumnError
from stage1_validation.report import ValidationReport
from stage1_validation.rules import Rule

if TYPE_CHECKING:
    import polars as pl

__all__ = ["DataValidator"]


class DataValidator:
    """Validate DataFrames against the rules of one config file.

    **Usage**::

        validator = DataValidator("rules.yaml")
        report = validator.validate_dataset(df)       # every rule runs, even after failures
        if not report["passed"]:
            print(report["summary"])
        validator.validate_dataset(df, raise_on_error=True)  # DataValidationError on failure
    """

    def __init__(
        self,
        config_path: str | os.PathLike[str] | None = None,
        *,
        config: ValidationConfig | None = None,
        backend: Backend = "pandas",
    ) -> None:
        if (config_path is None) == (config is None):
            raise TypeError("DataValidator needs exactly one of config_path and config=")
        self._backend = check_backend(backend)
        self._config = config if config is not None else load_config(config_path)  # type: ignore[arg-type]

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str = "<dict>", backend: Backend = "pandas"
    ) -> DataValidator:
        """Build a validator from an in-memory mapping of the file's shape."""
        return cls(config=parse_config(data, source=source), backend=backend)

    @property
    def backend(self) -> Backend:
        """How ``validate_dataset`` runs the rules: ``pandas`` (reference), ``polars`` or ``duckdb``."""
        return self._backend

    @property
    def validation_rules(self) -> list[Rule]:
        """The parsed rules, in file order (dataset rules first, then column rules)."""
        return list(self._config.rules)

    @property
    def config(self) -> ValidationConfig:
        """The whole parsed config (rules, key columns, sample size, source file)."""
        return self._config

    @property
    def key_columns(self) -> list[str]:
        """Columns that name a failing row in reports."""
        return list(self._config.key_columns)

    def save_rules(self, path: str | os.PathLike[str]) -> Path:
        """Write the rules back to a YAML/JSON file; loading it gives the same rules."""
        return save_config(self._config, path)

    def validate_dataset(
        self,
        df: pd.DataFrame | pl.DataFrame,
        *,
        raise_on_error: bool = False,
        source: str | None = None,
        backend: Backend | None = None,
    ) -> dict[str, Any]:
        """Run every rule on ``df`` and return the report as a JSON-ready dict.

        Validation is lazy (collect-all): one failing rule never stops the others. With
        ``raise_on_error=True`` a failing error-severity rule raises DataValidationError,
        whose ``.report`` is this same report. ``backend`` overrides the validator's own for
        this call. A Polars DataFrame runs on an engine: ``duckdb`` when chosen, else ``polars``.
        """
        chosen = check_backend(backend or self._backend)
        if chosen == "pandas" and isinstance(df, pd.DataFrame):
            return self.validate_chunks([df], raise_on_error=raise_on_error, source=source)
        evaluate, rule_results = engine("polars" if chosen == "pandas" else chosen)
        started = time.perf_counter()
        self.check_columns(df.columns)
        rules, size, keys = self._config.rules, self._config.sample_size, self._config.key_columns
        evaluation = evaluate(rules, df, sample_size=size)
        results = rule_results(rules, evaluation, df, sample_size=size, key_columns=keys)
        report = ValidationReport.build(
            results,
            rows=len(df),
            columns=df.shape[1],
            duration_s=time.perf_counter() - started,
            source=source,
            rules_file=self._config.source,
            key_columns=keys,
        ).to_dict()
        if raise_on_error and not report["passed"]:
            raise DataValidationError.from_report(report)
        return report

    def validate_chunks(
        self,
        chunks: Iterable[pd.DataFrame],
        *,
        raise_on_error: bool = False,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Validate a stream of chunks (rows in order) into one report equal to the whole frame's."""
        started = time.perf_counter()
        accumulators = self.start()
        rows, columns, first = 0, 0, True
        for chunk in chunks:
            if first:
                self.check_columns(chunk.columns)
                columns, first = chunk.shape[1], False
            for accumulator in accumulators:
                accumulator.add(chunk)
            rows += len(chunk)
        report = self.finish(
            accumulators, rows=rows, columns=columns, started=started, source=source
        )
        if raise_on_error and not report["passed"]:
            raise DataValidationError.from_report(report)
        return report

    def start(self) -> list[Accumulator]:
        """One fresh accumulator per rule (the state of a validation in progress)."""
        size, keys = self._config.sample_size, self._config.key_columns
        return [
            rule.new_accumulator(sample_size=size, key_columns=keys) for rule in self._config.rules
        ]

    def finish(
        self,
        accumulators: list[Accumulator],
        *,
        rows: int,
        columns: int,
        started: float,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Turn accumulated state into the report dict."""
        results = [accumulator.result() for accumulator in accumulators]
        report = ValidationReport.build(
            results,
            rows=rows,
            columns=columns,
            duration_s=time.perf_counter() - started,
            source=source,
            rules_file=self._config.source,
            key_columns=self._config.key_columns,
        )
        return report.to_dict()

    def check_columns(self, present: Iterable[Any]) -> None:
        """Raise MissingColumnError listing every rule whose column is absent from the data."""
        have = {str(c) for c in present}
        missing = []
        for rule in self._config.rules:
            missing += [(rule.name, col) for col in rule.columns_used() if col not in have]
        missing += [("key_columns", col) for col in self._config.key_columns if col not in have]
        if missing:
            listed = ", ".join(f"{col!r} (rule {name})" for name, col in missing)
            raise MissingColumnError(
                f"the data has no column(s) {listed}",
                path=self._config.source,
                rule=missing[0][0],
                key="column",
                fix=f"rename the column(s) in the rules file; the data has {sorted(have)}",
            )
