"""process_large_dataset: validate a CSV/Parquet file of any size chunk by chunk.

Memory stays bounded by the chunk size (plus the key columns of ``unique`` rules, which must
be kept to find duplicates across chunks). The merged report equals the report of validating
the whole file at once; tests check that on files with duplicates split across chunks.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from stage1_validation.chunks import CsvDialect, count_rows, data_format, iter_chunks
from stage1_validation.errors import DataFileError, DataValidationError
from stage1_validation.monitor import performance_monitor
from stage1_validation.output_paths import check_quarantine_dir, check_report_path
from stage1_validation.quarantine import QuarantineWriter, row_reasons, unique_failures
from stage1_validation.validator import DataValidator
from stage1_validation.writers import check_report_format, write_report

__all__ = ["default_rules", "process_large_dataset"]

RulesArg = str | os.PathLike[str] | DataValidator | None


def default_rules(columns: list[str]) -> DataValidator:
    """Rules used when none are given: at least one row, and a warning per column with nulls."""
    return DataValidator.from_dict(
        {
            "dataset": {"rules": [{"rule": "row_count", "min": 1}]},
            "columns": {c: [{"rule": "not_null", "severity": "warning"}] for c in columns},
        },
        source="<default rules>",
    )


# tracemalloc would slow this pandas-heavy function several-fold (measured: see README), so
# it is monitored by wall/CPU time and sampled RSS only.
@performance_monitor(trace_memory=False)
def process_large_dataset(
    file_path: str | os.PathLike[str],
    rules: RulesArg = None,
    *,
    chunk_size: int = 250_000,
    report_path: str | os.PathLike[str] | None = None,
    quarantine_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    raise_on_error: bool = False,
    csv_dialect: CsvDialect | None = None,
) -> dict[str, Any]:
    """Validate ``file_path`` in chunks of ``chunk_size`` rows and return one merged report.

    ``rules``: a rules file, a DataValidator, or None for ``default_rules``. ``report_path``
    (.json/.md/.html) also writes the report, atomically. ``quarantine_dir`` writes
    ``valid.<fmt>`` and ``rejected.<fmt>`` there (a second pass over the file, because a
    duplicate key found at the end can reject a row from the first chunk).

    Output paths are checked before any row is read: an unwritable or missing folder raises
    OutputPathError at once (parent folders are never created), as does a disk that fills up
    while writing; nothing half-written is left either way. ``csv_dialect`` names a CSV's
    separator and encoding (by default: detected from the header, UTF-8).
    """
    path = Path(file_path)
    if report_path is not None:
        check_report_format(report_path)
        inputs = [path] if isinstance(rules, DataValidator) or rules is None else [path, rules]
        check_report_path(report_path, inputs=inputs)
    if quarantine_dir is not None:
        check_quarantine_dir(quarantine_dir)
    # closing(): a generator suspended inside its `with` keeps the file open until it is
    # closed; if validation raises between chunks, this closes it at once, not at GC time.
    with closing(iter_chunks(path, chunk_size, csv_dialect)) as chunks:
        first = next(chunks, None)
        if first is None or first.empty:
            raise DataFileError(
                path, "has a header but no rows", "check that the file was fully written"
            )
        validator = _validator(rules, [str(c) for c in first.columns])
        stream = itertools.chain([first], chunks)
        report, accumulators = _validate_stream(validator, stream, path, progress)
    if quarantine_dir is not None:
        quarantine = QuarantineWriter(quarantine_dir, data_format(path))
        failing = unique_failures(accumulators)
        rules_list = validator.validation_rules
        with (
            quarantine.open() as writer,
            closing(iter_chunks(path, chunk_size, csv_dialect)) as again,
        ):
            for chunk in _progress(again, path, "quarantine", progress):
                reasons = row_reasons(rules_list, chunk, failing)
                bad = reasons != ""
                rejected = chunk.loc[bad].assign(_rejected_because=reasons[bad])
                writer.write(chunk.loc[~bad], rejected)
        report["quarantine"] = {
            "valid_path": str(quarantine.result.valid_path),
            "rejected_path": str(quarantine.result.rejected_path),
            "valid_rows": quarantine.result.valid_rows,
            "rejected_rows": quarantine.result.rejected_rows,
        }
    if report_path is not None:
        write_report(report, report_path)
    if raise_on_error and not report["passed"]:
        raise DataValidationError.from_report(report)
    return report


def _validator(rules: RulesArg, columns: list[str]) -> DataValidator:
    if rules is None:
        return default_rules(columns)
    if isinstance(rules, DataValidator):
        return rules
    return DataValidator(rules)


def _validate_stream(
    validator: DataValidator, chunks: Iterator[pd.DataFrame], path: Path, progress: bool
) -> tuple[dict[str, Any], list[Any]]:
    started = time.perf_counter()
    accumulators = validator.start()
    rows, columns, first = 0, 0, True
    for chunk in _progress(chunks, path, "validate", progress):
        if first:
            validator.check_columns(chunk.columns)
            columns, first = chunk.shape[1], False
        for accumulator in accumulators:
            accumulator.add(chunk)
        rows += len(chunk)
    report = validator.finish(
        accumulators, rows=rows, columns=columns, started=started, source=str(path)
    )
    return report, accumulators


def _progress(
    chunks: Iterator[pd.DataFrame], path: Path, what: str, enabled: bool
) -> Iterator[pd.DataFrame]:
    """Pass chunks through while a tqdm bar counts rows (total known for Parquet)."""
    with tqdm(
        total=count_rows(path),
        unit="rows",
        unit_scale=True,
        desc=f"{what} {path.name}",
        disable=not enabled,
        leave=False,
    ) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))
