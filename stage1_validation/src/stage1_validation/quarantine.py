"""Quarantine: split rows into valid and rejected, with the reasons each row was rejected.

A row is rejected when it fails any error-severity row rule (warnings never reject, and
``mostly`` only decides the dataset's verdict, not a row's). Dataset rules such as
``row_count`` judge the whole file and reject no row.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from stage1_validation.accumulate import Accumulator, UniqueAccumulator
from stage1_validation.backends import Backend, check_backend, engine
from stage1_validation.errors import OutputPathError
from stage1_validation.output_paths import output_errors
from stage1_validation.rules import DatasetRule, Rule, Severity, UniqueRule
from stage1_validation.writers import atomic_path

__all__ = [
    "REASONS_COLUMN",
    "QuarantineResult",
    "QuarantineWriter",
    "reasons_from_masks",
    "rejecting",
    "row_reasons",
    "split_dataset",
    "unique_failures",
]

REASONS_COLUMN = "_rejected_because"


def unique_failures(accumulators: list[Accumulator]) -> dict[int, pd.Index]:
    """Per rule position, the index labels of rows in duplicated keys (known only at the end)."""
    return {
        i: acc.failing_index()
        for i, acc in enumerate(accumulators)
        if isinstance(acc, UniqueAccumulator)
    }


def row_reasons(
    rules: list[Rule], chunk: pd.DataFrame, unique_failing: Mapping[int, pd.Index]
) -> pd.Series:
    """A text per row naming every error rule it fails; empty text for a valid row."""
    masks = {}
    for i in rejecting(rules):
        if i in unique_failing:
            masks[i] = chunk.index.isin(unique_failing[i])
        else:
            masks[i] = rules[i].check(chunk).to_numpy(dtype=bool)
    return reasons_from_masks(rules, masks, chunk.index)


def rejecting(rules: list[Rule]) -> list[int]:
    """Positions of the rules that reject rows: error severity, judged row by row."""
    return [
        i
        for i, rule in enumerate(rules)
        if rule.severity is Severity.ERROR and not isinstance(rule, DatasetRule)
    ]


def reasons_from_masks(
    rules: list[Rule], masks: Mapping[int, np.ndarray], index: pd.Index
) -> pd.Series:
    """Join, per row, the descriptions of the rules whose mask is True there (rule order)."""
    reasons = pd.Series("", index=index, dtype="str")
    for i in sorted(masks):
        mask = pd.Series(masks[i], index=index)
        if mask.any():
            label = rules[i].describe()
            reasons[mask] = reasons[mask].where(reasons[mask] == "", reasons[mask] + "; ") + label
    return reasons


def split_dataset(
    rules: list[Rule],
    df: pd.DataFrame,
    unique_failing: Mapping[int, pd.Index] | None = None,
    *,
    backend: Backend = "pandas",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(valid, rejected)``; ``rejected`` has an extra column with the reasons.

    ``backend="polars"`` or ``"duckdb"`` finds the failing rows in one engine pass (same
    split).
    """
    chosen = check_backend(backend)
    if chosen != "pandas" and unique_failing is None:
        evaluate, _ = engine(chosen)
        wanted = rejecting(rules)
        outcomes = evaluate(rules, df, sample_size=0, masks_for=set(wanted)).outcomes
        masks = {i: outcomes[i].mask for i in wanted}
        reasons = reasons_from_masks(rules, masks, df.index)
        bad = reasons != ""
        rejected = df.loc[bad].copy()
        rejected[REASONS_COLUMN] = reasons[bad]
        return df.loc[~bad], rejected
    if unique_failing is None:
        unique_failing = {
            i: df.index[rule.check(df)]
            for i, rule in enumerate(rules)
            if isinstance(rule, UniqueRule) and rule.severity is Severity.ERROR
        }
    reasons = row_reasons(rules, df, unique_failing)
    bad = reasons != ""
    rejected = df.loc[bad].copy()
    rejected[REASONS_COLUMN] = reasons[bad]
    return df.loc[~bad], rejected


@dataclass
class QuarantineResult:
    """Where the split went and how many rows each side got."""

    valid_path: Path
    rejected_path: Path
    valid_rows: int = 0
    rejected_rows: int = 0


class QuarantineWriter:
    """Append chunks to ``DIR/valid.<fmt>`` and ``DIR/rejected.<fmt>``, atomically.

    Both files appear only when the ``open()`` block ends without error; an error midway
    leaves neither (their temp files are removed). Chunks are streamed, never all held.
    ``DIR`` is created when missing (its parent must exist), and removed again on an error.
    """

    def __init__(self, out_dir: str | os.PathLike[str], fmt: str) -> None:
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"quarantine format must be csv or parquet, got {fmt!r}")
        self.out_dir = Path(out_dir)
        self.fmt = fmt
        self.result = QuarantineResult(
            self.out_dir / f"valid.{fmt}", self.out_dir / f"rejected.{fmt}"
        )
        self._paths: dict[str, Path] = {}
        self._started: set[str] = set()
        self._parquet: dict[str, pq.ParquetWriter] = {}

    @contextmanager
    def open(self) -> Iterator[QuarantineWriter]:
        """Context in which ``write`` may be called; files are committed on a clean exit."""
        with self._folder(), ExitStack() as stack:
            self._paths = {
                "valid": stack.enter_context(atomic_path(self.result.valid_path)),
                "rejected": stack.enter_context(atomic_path(self.result.rejected_path)),
            }
            try:
                yield self
            except BaseException:
                for writer in self._parquet.values():
                    with suppress(Exception):  # a full disk fails the footer too: keep the cause
                        writer.close()
                raise
            else:
                with output_errors(self.out_dir):  # the footer is written on close
                    for writer in self._parquet.values():
                        writer.close()
            finally:
                self._parquet.clear()

    @contextmanager
    def _folder(self) -> Iterator[None]:
        """Create ``out_dir`` if missing (never its parents); remove it if the block fails."""
        created = False
        if not self.out_dir.is_dir():
            try:
                self.out_dir.mkdir()
            except FileNotFoundError:
                raise OutputPathError(
                    self.out_dir.parent,
                    "folder does not exist (parent folders are never created)",
                    f"create it first: mkdir -p {self.out_dir.parent}",
                ) from None
            except OSError as exc:
                raise OutputPathError(
                    self.out_dir, f"cannot be created ({exc.strerror})", "choose a writable folder"
                ) from None
            created = True
        try:
            yield
        except BaseException:
            if created:
                with suppress(OSError):  # rmdir: only when still empty, never a user's file
                    self.out_dir.rmdir()
            raise

    def write(self, valid: pd.DataFrame, rejected: pd.DataFrame) -> None:
        """Append one chunk's split."""
        self.result.valid_rows += len(valid)
        self.result.rejected_rows += len(rejected)
        for side, frame in (("valid", valid), ("rejected", rejected)):
            target = self.result.valid_path if side == "valid" else self.result.rejected_path
            with output_errors(target):
                self._append(side, frame)

    def _append(self, side: str, frame: pd.DataFrame) -> None:
        first = side not in self._started
        self._started.add(side)
        if self.fmt == "csv":
            frame.to_csv(self._paths[side], index=False, header=first, mode="w" if first else "a")
            return
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if first:
            self._parquet[side] = pq.ParquetWriter(self._paths[side], table.schema)
        self._parquet[side].write_table(table.cast(self._parquet[side].schema))
