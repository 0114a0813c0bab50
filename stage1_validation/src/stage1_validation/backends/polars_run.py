"""Run compiled rules over a whole frame in one Polars pass; the report equals pandas'.

One lazy ``select`` computes, for every compiled rule, its count of certain failures, the
positions of its first ``sample_size`` failures and the positions of its unsure rows (Polars
runs the expressions in parallel and shares common subexpressions). Unsure rows, and rules
without a plan, are then decided by the rules' own pandas ``check``. Failing rows are named
by their position; the samples are built from the pandas rows at those positions by the same
code as the pandas backend, so the values and keys in the report are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from stage1_validation.accumulate import make_samples
from stage1_validation.backends.polars_compile import Kind, Plan, column_kind, compile_rule
from stage1_validation.report import RuleResult
from stage1_validation.rules import Rule

__all__ = ["Evaluation", "evaluate", "rule_results"]

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


class _Source:
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

    def polars(self) -> pl.DataFrame:
        """The compilable columns as a Polars frame (numeric columns without a copy)."""
        usable = [c for c, k in self.kinds.items() if k is not None]
        if self.pldf is not None:
            frame = self.pldf.select(usable)
        else:
            assert self.pdf is not None
            parts = []
            for c in usable:
                try:
                    parts.append(_to_polars(self.pdf[c], self.kinds[c]).alias(c))
                except Exception:  # a column Polars cannot take: its rules run in pandas
                    self.kinds[c] = None
            frame = pl.DataFrame(parts)
        if frame.width == 0:
            frame = pl.DataFrame({"_rows": np.zeros(self.rows, dtype=bool)})
        return frame

    def pandas_rows(self, positions: np.ndarray, columns: list[str]) -> pd.DataFrame:
        """The rows at ``positions`` as pandas, labelled like the pandas backend labels them."""
        if self.pdf is not None:
            return self.pdf.iloc[positions][columns]
        assert self.pldf is not None
        rows = self.pldf[positions].select(columns).to_pandas()
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


def _to_polars(values: pd.Series, kind: Kind | None) -> pl.Series:
    """A pandas column as Polars: numbers without a copy, Arrow text through Arrow.

    ``pl.from_pandas`` would turn Arrow-backed text into Python objects first (several times
    slower).
    """
    if kind == "str":
        converted = pl.from_arrow(pa.array(values.array))
        assert isinstance(converted, pl.Series)
        return converted
    return pl.from_pandas(values, nan_to_null=True)


def _positions(values: Any) -> np.ndarray:
    return np.asarray(values if values is not None else [], dtype=np.int64)


def _cell(column: pl.Series) -> Any:
    """The single value of an aggregate column; a list cell comes back as a numpy array."""
    value = column[0]
    return value.to_numpy() if isinstance(value, pl.Series) else value


def evaluate(
    rules: Sequence[Rule],
    data: Frame,
    *,
    sample_size: int,
    masks_for: set[int] | None = None,
) -> Evaluation:
    """Every rule over ``data``; full boolean masks for the rule positions in ``masks_for``."""
    masks_for = masks_for or set()
    columns = list(dict.fromkeys(c for rule in rules for c in rule.columns_used()))
    source = _Source(data, columns)
    frame = source.polars()
    plans: dict[int, Plan] = {}
    for i, rule in enumerate(rules):
        plan = compile_rule(rule, source.kinds)
        if plan is not None:
            plans[i] = plan
    # Pass 1 evaluates each plan once into boolean columns (bit-packed: 10M rows = 1.2 MiB);
    # pass 2 counts and locates on those. The first column keeps constant plans row-shaped.
    flags: list[pl.Expr] = [pl.nth(0).is_null().alias("_shape")]
    for i, plan in plans.items():
        fails = plan.fails if plan.unsure is None else plan.fails & ~plan.unsure
        flags.append(fails.fill_null(False).alias(f"c{i}"))
        if plan.unsure is not None:
            flags.append(plan.unsure.fill_null(False).alias(f"u{i}"))
    masks = frame.lazy().select(flags).collect()
    summary: list[pl.Expr] = []
    for i, plan in plans.items():
        summary += [
            pl.col(f"c{i}").sum().alias(f"n{i}"),
            pl.col(f"c{i}").arg_true().head(sample_size).implode().alias(f"f{i}"),
        ]
        if plan.unsure is not None:
            summary.append(pl.col(f"u{i}").arg_true().implode().alias(f"u{i}"))
    row: dict[str, Any] = {}
    if summary:
        out = masks.select(summary)
        row = {name: _cell(out.get_column(name)) for name in out.columns}
    row |= {f"m{i}": masks.get_column(f"c{i}").to_numpy() for i in plans if i in masks_for}
    evaluation = Evaluation(rows=source.rows, outcomes=[], compiled=len(plans))
    for i, rule in enumerate(rules):
        if i in plans:
            outcome = _compiled_outcome(i, rule, row, source, sample_size, i in masks_for)
            evaluation.refined_rows += len(_positions(row.get(f"u{i}")))
        else:
            evaluation.in_pandas.append(rule.describe())
            mask = rule.check(source.pandas_all()).to_numpy(dtype=bool)
            hits = np.flatnonzero(mask)
            outcome = Outcome(len(hits), hits[:sample_size], mask if i in masks_for else None)
        evaluation.outcomes.append(outcome)
    return evaluation


def _compiled_outcome(
    i: int, rule: Rule, row: dict[str, Any], source: _Source, sample_size: int, want_mask: bool
) -> Outcome:
    failing = int(row[f"n{i}"])
    first = _positions(row[f"f{i}"])
    mask = None
    if want_mask:
        mask = np.array(row[f"m{i}"], dtype=bool)
    unsure = _positions(row.get(f"u{i}"))
    if len(unsure):
        decided = rule.check(source.pandas_rows(unsure, rule.columns_used()))
        extra = unsure[decided.to_numpy(dtype=bool)]
        failing += len(extra)
        first = np.sort(np.concatenate([first, extra]))[:sample_size]
        if mask is not None:
            mask[extra] = True
    return Outcome(failing, first, mask)


def rule_results(
    rules: Sequence[Rule],
    evaluation: Evaluation,
    data: Frame,
    *,
    sample_size: int,
    key_columns: list[str],
) -> list[RuleResult]:
    """The report entries, built by the same accumulator code as the pandas backend's."""
    source = _Source(data, [])
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
