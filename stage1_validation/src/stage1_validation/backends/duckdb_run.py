"""Run compiled rules over a whole frame as one DuckDB query; the report equals pandas'.

The frame goes to DuckDB as an Arrow table without a copy (pandas' Arrow text and numpy
numbers, or a Polars frame's own Arrow buffers), with one extra column ``rid``, the row
position, because DuckDB scans in parallel and keeps no row order. One SQL query then
computes, for every compiled rule, its count of certain failures, the ``sample_size``
smallest failing positions (``min(rid, n)``) and the positions of its unsure rows; a
``unique`` rule adds a GROUP BY of its key and a semi join back to the rows. Unsure rows, and
rules without a plan, are decided by the rules' own pandas ``check`` (``outcomes.py``).

Quarantine needs every failing row, not just the first few: a second query, only over the
rules that failed, returns the positions of their failing rows.
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


def _duplicates(i: int, plan: Plan) -> str:
    keys = ", ".join(plan.keys)
    return (
        f"d{i} AS (SELECT {keys} FROM data WHERE {_flag(plan.key_present)} "
        f"GROUP BY ALL HAVING count(*) > 1)"
    )


def _flags(plans: dict[int, Plan], shared: dict[str, str]) -> str:
    """The rows as flags: ``k{i}`` certainly fails, ``v{i}`` unsure, each computed once.

    Three projections: the data, the expressions several rules share (``x0``, ``x1``, ...),
    then one boolean column per rule and kind; the aggregates only read the booleans.
    """
    derived = "".join(f", {expression} AS {name}" for expression, name in shared.items())
    flags = ["rid"]
    for i, plan in plans.items():
        if not plan.keys:
            flags.append(f"{_certain(plan)} AS k{i}")
            if plan.unsure is not None:
                flags.append(f"{_flag(plan.unsure)} AS v{i}")
    return f"(SELECT {', '.join(flags)} FROM (SELECT *{derived} FROM data))"


def _query(plans: dict[int, Plan], shared: dict[str, str], sample_size: int) -> str:
    """One query: a row of counts, first failing positions and unsure positions per rule."""
    first = max(sample_size, 1)
    row_aggregates = ["count(*) AS n_rows"]
    keyed: list[str] = []
    ctes: list[str] = []
    for i, plan in plans.items():
        if plan.keys:
            ctes.append(_duplicates(i, plan))
            join = f"FROM data SEMI JOIN d{i} USING ({', '.join(plan.keys)})"
            if plan.keys_exact:
                keyed.append(f"(SELECT count(*) AS n{i}, min(rid, {first}) AS f{i} {join}) AS q{i}")
            else:
                keyed.append(f"(SELECT list(rid) AS u{i} {join}) AS q{i}")
            continue
        row_aggregates += [
            f"count(*) FILTER (WHERE k{i}) AS n{i}",
            f"min(rid, {first}) FILTER (WHERE k{i}) AS f{i}",
        ]
        if plan.unsure is not None:
            row_aggregates.append(f"list(rid) FILTER (WHERE v{i}) AS u{i}")
    with_part = f"WITH {', '.join(ctes)} " if ctes else ""
    rows = f"(SELECT {', '.join(row_aggregates)} FROM {_flags(plans, shared)}) AS r"
    return f"{with_part}SELECT * FROM {', '.join([rows, *keyed])}"


def _cell(table: pa.Table, name: str) -> Any:
    """One cell of a one-row result: a number, or a list as a numpy array (NULL -> empty)."""
    if name not in table.column_names:
        return None
    value = table.column(name)[0]
    if isinstance(value, pa.ListScalar):
        return value.values.to_numpy() if value.is_valid else None
    return value.as_py()


def _failing_positions(
    connection: duckdb.DuckDBPyConnection,
    plans: dict[int, Plan],
    shared: dict[str, str],
    wanted: list[int],
) -> dict[int, np.ndarray]:
    """Every certainly failing position of the ``wanted`` rules (only rules that failed)."""
    found: dict[int, np.ndarray] = {}
    row_rules = {i: plans[i] for i in wanted if not plans[i].keys}
    if row_rules:
        flags = ", ".join(f"k{i}" for i in row_rules)
        anyone = " OR ".join(f"k{i}" for i in row_rules)
        rows = connection.sql(
            f"SELECT rid, {flags} FROM {_flags(row_rules, shared)} WHERE {anyone}"
        ).fetchnumpy()
        for i in row_rules:
            found[i] = np.asarray(rows["rid"])[np.asarray(rows[f"k{i}"], dtype=bool)]
    for i in wanted:
        plan = plans[i]
        if plan.keys:
            join = f"FROM data SEMI JOIN d{i} USING ({', '.join(plan.keys)})"
            rows = connection.sql(f"WITH {_duplicates(i, plan)} SELECT rid {join}").fetchnumpy()
            found[i] = np.asarray(rows["rid"])
    return found


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
        row = connection.sql(_query(plans, sql_columns.shared, sample_size)).to_arrow_table()
        counts = {i: int(_cell(row, f"n{i}") or 0) for i in plans}
        wanted = [i for i in plans if i in masks_for and counts[i] > 0]
        failing_at = _failing_positions(connection, plans, sql_columns.shared, wanted)
    finally:
        connection.close()
    evaluation = Evaluation(rows=source.rows, outcomes=[], compiled=len(plans))
    for i, rule in enumerate(rules):
        want_mask = i in masks_for
        if i in plans:
            mask = None
            if want_mask:
                mask = np.zeros(source.rows, dtype=bool)
                mask[failing_at.get(i, positions(None))] = True
            first = positions(_cell(row, f"f{i}"))[:sample_size]
            certain = Outcome(counts[i], first, mask)
            unsure = np.sort(positions(_cell(row, f"u{i}")))
            outcome = refine(rule, source, certain, unsure, sample_size)
            evaluation.refined_rows += len(unsure)
        else:
            evaluation.in_pandas.append(rule.describe())
            outcome = in_pandas(rule, source, sample_size, want_mask)
        evaluation.outcomes.append(outcome)
    return evaluation
