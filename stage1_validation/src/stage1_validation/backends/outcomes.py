"""What every engine backend shares: the frame in both shapes, outcomes, refinement, reports.

An engine (Polars, DuckDB) computes per rule the rows it is certain fail and the rows it is
unsure about. This module turns that into the reference's answer: unsure rows are decided by
the rule's own pandas ``check``, rules without a plan run in pandas whole, and the report
entries are built by the same accumulator code as the pandas backend's, so the samples'
values and keys are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from stage1_validation.accumulate import make_samples
from stage1_validation.backends.kinds import Kind, column_kind
from stage1_validation.report import RuleResult
from stage1_validation.rules import Rule

__all__ = ["Evaluation", "Frame", "Outcome", "Source", "positions", "refine", "rule_results"]

Frame = pd.DataFrame | pl.DataFrame


@dataclass
class Outcome:
    """One rule over the whole frame: failing count, first failing positions, optional mask."""

    failing: int
    first: np.ndarray
    mask: np.ndarray | None = None


@dataclass
class Evaluation:
    """Every rule's outcome, and how many rules ran compiled, partly or wholly in pandas."""

    rows: int
    outcomes: list[Outcome]
    compiled: int = 0
    refined_rows: int = 0
    in_pandas: list[str] = field(default_factory=list)


class Source:
    """The frame in both shapes, each made only when needed (pandas slices for few rows)."""

    def __init__(self, data: Frame, columns: list[str]) -> None:
        self.pdf = data if isinstance(data, pd.DataFrame) else None
        self.pldf = data if isinstance(data, pl.DataFrame) else None
        self.rows = len(data)
        self.kinds: dict[str, Kind | None] = {c: None for c in columns}
        if self.pdf is not None and self.pdf.columns.is_unique:
            self.kinds = {c: column_kind(self.pdf[c].dtype) for c in columns}
        elif self.pldf is not None:
            self.kinds = {c: column_kind(self.pldf.schema[c]) for c in columns}
        self._converted: pd.DataFrame | None = None

    def usable(self) -> list[str]:
        """The columns an engine may compile rules on."""
        return [c for c, k in self.kinds.items() if k is not None]

    def pandas_rows(self, positions: np.ndarray, columns: list[str]) -> pd.DataFrame:
        """The rows at ``positions`` as pandas, labelled like the pandas backend labels them."""
        if self.pdf is not None:
            return self.pdf.iloc[positions][columns]
        assert self.pldf is not None
        rows = self.pldf.select(columns)[positions].to_pandas()
        rows.index = pd.Index(positions)
        return rows

    def pandas_all(self) -> pd.DataFrame:
        """The whole frame as pandas (a Polars frame converts once: the columns rules use)."""
        if self.pdf is not None:
            return self.pdf
        assert self.pldf is not None
        if self._converted is None:
            self._converted = self.pldf.select(list(self.kinds)).to_pandas()
        return self._converted


def positions(values: Any) -> np.ndarray:
    """Row positions as int64 (an absent list is no rows)."""
    return np.asarray(values if values is not None else [], dtype=np.int64)


def in_pandas(rule: Rule, source: Source, sample_size: int, want_mask: bool) -> Outcome:
    """A rule no engine compiled: its own ``check`` over the whole frame."""
    mask = rule.check(source.pandas_all()).to_numpy(dtype=bool)
    hits = np.flatnonzero(mask)
    return Outcome(len(hits), hits[:sample_size], mask if want_mask else None)


def refine(
    rule: Rule, source: Source, certain: Outcome, unsure: np.ndarray, sample_size: int
) -> Outcome:
    """Add the unsure rows that the rule's own pandas ``check`` fails to the certain outcome."""
    if not len(unsure):
        return certain
    decided = rule.check(source.pandas_rows(unsure, rule.columns_used()))
    extra = unsure[decided.to_numpy(dtype=bool)]
    first = np.sort(np.concatenate([certain.first, extra]))[:sample_size]
    mask = certain.mask
    if mask is not None:
        mask[extra] = True
    return Outcome(certain.failing + len(extra), first, mask)


def rule_results(
    rules: Sequence[Rule],
    evaluation: Evaluation,
    data: Frame,
    *,
    sample_size: int,
    key_columns: list[str],
) -> list[RuleResult]:
    """The report entries, built by the same accumulator code as the pandas backend's."""
    source = Source(data, [])
    results = []
    for rule, outcome in zip(rules, evaluation.outcomes, strict=True):
        accumulator = rule.new_accumulator(sample_size=sample_size, key_columns=key_columns)
        samples = []
        if len(outcome.first):
            value_columns = rule.columns_used()
            columns = list(dict.fromkeys([*value_columns, *key_columns]))
            rows = source.pandas_rows(outcome.first, columns)
            samples = make_samples(rows, value_columns, key_columns)
        results.append(
            accumulator.outcome(rows=evaluation.rows, failing=outcome.failing, samples=samples)
        )
    return results
