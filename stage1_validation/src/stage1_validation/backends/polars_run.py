"""Run compiled rules over a whole frame in one Polars pass; the report equals pandas'.

One lazy ``select`` computes, for every compiled rule, its count of certain failures, the
positions of its first ``sample_size`` failures and the positions of its unsure rows (Polars
runs the expressions in parallel and shares common subexpressions). Unsure rows, and rules
without a plan, are then decided by the rules' own pandas ``check`` (``outcomes.py``).
Failing rows are named by their position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from stage1_validation.backends.kinds import Kind
from stage1_validation.backends.outcomes import (
    Evaluation,
    Frame,
    Outcome,
    Source,
    in_pandas,
    positions,
    refine,
    rule_results,
)
from stage1_validation.backends.polars_compile import Plan, compile_rule
from stage1_validation.rules import Rule

__all__ = ["Evaluation", "evaluate", "rule_results"]


def _polars_frame(source: Source) -> pl.DataFrame:
    """The compilable columns as a Polars frame (numeric columns without a copy)."""
    usable = source.usable()
    if source.pldf is not None:
        frame = source.pldf.select(usable)
    else:
        assert source.pdf is not None
        parts = []
        for c in usable:
            try:
                parts.append(_to_polars(source.pdf[c], source.kinds[c]).alias(c))
            except Exception:  # a column Polars cannot take: its rules run in pandas
                source.kinds[c] = None
        frame = pl.DataFrame(parts)
    if frame.width == 0:
        frame = pl.DataFrame({"_rows": np.zeros(source.rows, dtype=bool)})
    return frame


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
    source = Source(data, columns)
    frame = _polars_frame(source)
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
    evaluation = Evaluation(rows=source.rows, outcomes=[], compiled=len(plans))
    for i, rule in enumerate(rules):
        want_mask = i in masks_for
        if i in plans:
            mask = masks.get_column(f"c{i}").to_numpy().astype(bool) if want_mask else None
            certain = Outcome(int(row[f"n{i}"]), positions(row[f"f{i}"]), mask)
            unsure = positions(row.get(f"u{i}"))
            outcome = refine(rule, source, certain, unsure, sample_size)
            evaluation.refined_rows += len(unsure)
        else:
            evaluation.in_pandas.append(rule.describe())
            outcome = in_pandas(rule, source, sample_size, want_mask)
        evaluation.outcomes.append(outcome)
    return evaluation
