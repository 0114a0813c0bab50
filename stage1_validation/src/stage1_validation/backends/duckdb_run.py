"""Run compiled rules over a whole frame with DuckDB; the report equals pandas'.

The frame goes to DuckDB as an Arrow table without a copy (pandas' Arrow text and numpy
numbers, or a Polars frame's own Arrow buffers), with one extra column ``rid``, the row
position, because DuckDB scans in parallel and keeps no row order. Then two queries:

1. the row rules: one pass computes every rule's condition once per row, as boolean columns
   (``k3``: rule 3 certainly fails this row, ``v3``: rule 3 is unsure), and returns only the
   rows where some flag is true. Counts, the first failing positions and quarantine masks
   are then numpy work on those rows; the clean majority never leaves DuckDB.
2. the ``unique`` rules: a GROUP BY of each key finds the repeated ones, and a semi join
   returns the positions of their rows.

Unsure rows, and rules without a plan, are decided by the rules' own pandas ``check``
(``outcomes.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from stage1_validation.backends.duckdb_compile import Columns, Plan, compile_rule
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
from stage1_validation.rules import Rule

__all__ = ["Evaluation", "evaluate", "rule_results"]


def _arrow_table(source: Source) -> tuple[pa.Table, Columns]:
    """The compilable columns as Arrow (renamed c0, c1, ...) plus ``rid``, without copies."""
    arrays: dict[str, Any] = {}
    names: dict[str, str] = {}
    units: dict[str, str] = {}
    polars_columns: dict[str, Any] = {}
    if source.pldf is not None and source.usable():
        exported = source.pldf.select(source.usable()).to_arrow(
            compat_level=pl.CompatLevel.newest()
        )
        polars_columns = dict(zip(exported.column_names, exported.columns, strict=True))
    for j, column in enumerate(source.usable()):
        try:
            if source.pdf is not None:
                values = source.pdf[column]
                kind = source.kinds[column]
                array = pa.array(
                    values.array if kind == "str" else values.to_numpy(),
                    from_pandas=kind == "datetime",
                )
            else:
                array = polars_columns[column]
        except Exception:  # a column Arrow cannot take: its rules run in pandas
            source.kinds[column] = None
            continue
        names[column] = f"c{j}"
        arrays[f"c{j}"] = array
        if pa.types.is_timestamp(array.type):
            units[column] = array.type.unit
    arrays["rid"] = pa.array(np.arange(source.rows, dtype=np.int64))
    return pa.table(arrays), Columns(names=names, kinds=source.kinds, units=units)


def _flag(condition: str | None) -> str:
    """A condition as a plain boolean: SQL's NULL (unknown) counts as false."""
    return "false" if condition is None else f"coalesce(({condition}), false)"


def _certain(plan: Plan) -> str:
    if plan.unsure is None:
        return _flag(plan.fails)
    return f"{_flag(plan.fails)} AND NOT {_flag(plan.unsure)}"


def _flags(plans: dict[int, Plan], shared: dict[str, str]) -> tuple[str, list[str]]:
    """SQL of the rows as flags (``k{i}`` certainly fails, ``v{i}`` unsure), and their names.

    Three projections: the data, the expressions several rules share (``x0``, ``x1``, ...),
    then one boolean column per rule and kind, each condition computed once per row.
    """
    derived = "".join(f", {expression} AS {name}" for expression, name in shared.items())
    columns, names = ["rid"], []
    for i, plan in plans.items():
        columns.append(f"{_certain(plan)} AS k{i}")
        names.append(f"k{i}")
        if plan.unsure is not None:
            columns.append(f"{_flag(plan.unsure)} AS v{i}")
            names.append(f"v{i}")
    return f"SELECT {', '.join(columns)} FROM (SELECT *{derived} FROM data)", names


def _flagged_rows(
    connection: duckdb.DuckDBPyConnection, plans: dict[int, Plan], shared: dict[str, str]
) -> dict[str, np.ndarray]:
    """Positions (``rid``) and flags of the rows that fail, or may fail, some row rule."""
    flags, names = _flags(plans, shared)
    if not names:
        return {"rid": positions(None)}
    found = connection.sql(f"SELECT * FROM ({flags}) WHERE {' OR '.join(names)}").fetchnumpy()
    return {name: np.asarray(values) for name, values in found.items()}


def _duplicated_rows(
    connection: duckdb.DuckDBPyConnection, plans: dict[int, Plan]
) -> dict[int, np.ndarray]:
    """Per ``unique`` rule, the positions of the rows whose complete key repeats."""
    if not plans:
        return {}
    ctes, parts = [], []
    for i, plan in plans.items():
        keys = ", ".join(plan.keys)
        ctes.append(
            f"d{i} AS (SELECT {keys} FROM data WHERE {plan.key_present} "
            f"GROUP BY ALL HAVING count(*) > 1)"
        )
        parts.append(f"SELECT {i} AS rule, rid FROM data SEMI JOIN d{i} USING ({keys})")
    query = f"WITH {', '.join(ctes)} {' UNION ALL '.join(parts)}"
    found = connection.sql(query).fetchnumpy()
    rule, rid = np.asarray(found["rule"]), np.asarray(found["rid"])
    return {i: rid[rule == i] for i in plans}


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
    table, sql_columns = _arrow_table(source)
    plans: dict[int, Plan] = {}
    for i, rule in enumerate(rules):
        plan = compile_rule(rule, sql_columns)
        if plan is not None:
            plans[i] = plan
    connection = duckdb.connect()
    try:
        connection.register("data", table)
        keyed = {i: plan for i, plan in plans.items() if plan.keys}
        flagged = _flagged_rows(
            connection, {i: plan for i, plan in plans.items() if not plan.keys}, sql_columns.shared
        )
        duplicated = _duplicated_rows(connection, keyed)
    finally:
        connection.close()
    evaluation = Evaluation(rows=source.rows, outcomes=[], compiled=len(plans))
    for i, rule in enumerate(rules):
        want_mask = i in masks_for
        if i not in plans:
            evaluation.in_pandas.append(rule.describe())
            evaluation.outcomes.append(in_pandas(rule, source, sample_size, want_mask))
            continue
        hits, unsure = positions(None), positions(None)
        if i in keyed and keyed[i].keys_exact:
            hits = duplicated[i]
        elif i in keyed:
            unsure = duplicated[i]
        else:
            hits = flagged["rid"][flagged[f"k{i}"]]
            if f"v{i}" in flagged:
                unsure = flagged["rid"][flagged[f"v{i}"]]
        mask = None
        if want_mask:
            mask = np.zeros(source.rows, dtype=bool)
            mask[hits] = True
        first = np.sort(hits)[:sample_size]
        outcome = refine(
            rule, source, Outcome(len(hits), first, mask), np.sort(unsure), sample_size
        )
        evaluation.refined_rows += len(unsure)
        evaluation.outcomes.append(outcome)
    return evaluation
