"""The engine anchors: the benchmark's 14 checks hand-written in DuckDB SQL and in Polars.

What a data engineer would write without a validation library, given the same Parquet file:
one query (DuckDB) or one ``select`` (Polars) computing, per check, the number of failing rows
and the first five failing row numbers (0-based positions in the file, as our report's
``index`` for a frame read from it). The checks are the ones of
``stage1_validation.synthetic.orders_rules``; both anchors must find the same failing counts
as our validator (``run.py`` checks that), so they do the same work.
"""

from __future__ import annotations

import time
from typing import Any

EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
CURRENCIES = ["KRW", "USD", "EUR", "JPY"]
SAMPLE = 5

# (check name, SQL condition true where the row FAILS); NULL counts as not failing.
SQL_CHECKS: list[tuple[str, str]] = [
    (
        "compare:ship_date,order_date",
        "TRY_STRPTIME(ship_date, '%Y-%m-%d') < TRY_STRPTIME(order_date, '%Y-%m-%d')",
    ),
    ("not_null:order_id", "order_id IS NULL"),
    ("not_null:customer_id", "customer_id IS NULL OR isnan(customer_id)"),
    ("regex:email", f"NOT regexp_full_match(email, '{EMAIL[1:-1]}')"),
    ("str_length:country", "length(country) NOT BETWEEN 2 AND 2"),
    ("allowed_values:currency", "currency NOT IN ('KRW', 'USD', 'EUR', 'JPY')"),
    ("range:amount", "amount NOT BETWEEN 0 AND 10000"),
    ("dtype:quantity", "TRY_CAST(quantity AS BIGINT) IS NULL AND quantity IS NOT NULL"),
    (
        "date_format:order_date",
        "TRY_STRPTIME(order_date, '%Y-%m-%d') IS NULL AND order_date IS NOT NULL",
    ),
    ("not_null:ship_date", "ship_date IS NULL"),
    ("range:discount", "discount NOT BETWEEN 0 AND 0.5"),
]


def duckdb_sql(data: str) -> dict[str, Any]:
    """Load the file into a DuckDB table, then one SQL query for every check."""
    import duckdb

    connection = duckdb.connect()
    started = time.perf_counter()
    connection.execute(
        "CREATE TABLE orders AS SELECT file_row_number AS rid, * "
        "FROM read_parquet(?, file_row_number = true)",
        [data],
    )
    loaded = time.perf_counter()
    row_checks = ",\n".join(
        f"count(*) FILTER (WHERE {cond}), min(rid, {SAMPLE}) FILTER (WHERE {cond})"
        for _, cond in SQL_CHECKS
    )
    query = f"""
        WITH dup_keys AS (
            SELECT order_id, line_no FROM orders
            WHERE order_id IS NOT NULL AND line_no IS NOT NULL
            GROUP BY ALL HAVING count(*) > 1
        ),
        dups AS (
            SELECT count(*) AS n, min(rid, {SAMPLE}) AS first
            FROM orders SEMI JOIN dup_keys USING (order_id, line_no)
        ),
        row_checks AS (SELECT count(*) AS n_rows, {row_checks} FROM orders)
        SELECT * FROM row_checks, dups
    """
    row = connection.execute(query).fetchone()
    schema_ok = connection.execute(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'orders' AND column_name = 'order_id'"
    ).fetchone()
    done = time.perf_counter()
    assert row is not None and schema_ok is not None
    n_rows = row[0]
    counts = {name: int(row[1 + 2 * i]) for i, (name, _) in enumerate(SQL_CHECKS)}
    firsts = {name: list(row[2 + 2 * i] or []) for i, (name, _) in enumerate(SQL_CHECKS)}
    counts["unique:order_id,line_no"] = int(row[-2])
    firsts["unique:order_id,line_no"] = list(row[-1] or [])
    counts["dtype:order_id"] = 0 if schema_ok[0] == "BIGINT" else n_rows
    counts["row_count:"] = 0 if 1 <= n_rows <= 2 * n_rows else 1
    return {
        "load_s": loaded - started,
        "validate_s": done - loaded,
        "counts": counts,
        "first_failing": firsts,
    }


def polars_expr(data: str) -> dict[str, Any]:
    """Read the file into a Polars frame, then one ``select`` of every check."""
    import polars as pl

    started = time.perf_counter()
    frame = pl.read_parquet(data)
    loaded = time.perf_counter()
    col = pl.col
    failing: dict[str, pl.Expr] = {
        "unique:order_id,line_no": pl.struct("order_id", "line_no").is_duplicated()
        & col("order_id").is_not_null()
        & col("line_no").is_not_null(),
        "compare:ship_date,order_date": col("ship_date").str.to_date("%Y-%m-%d", strict=False)
        < col("order_date").str.to_date("%Y-%m-%d", strict=False),
        "not_null:order_id": col("order_id").is_null(),
        "not_null:customer_id": col("customer_id").is_null() | col("customer_id").is_nan(),
        "regex:email": ~col("email").str.contains(EMAIL),
        "str_length:country": col("country").str.len_chars() != 2,
        "allowed_values:currency": ~col("currency").is_in(CURRENCIES),
        "range:amount": ~col("amount").is_between(0, 10_000),
        "dtype:quantity": col("quantity").cast(pl.Int64, strict=False).is_null()
        & col("quantity").is_not_null(),
        "date_format:order_date": col("order_date").str.to_date("%Y-%m-%d", strict=False).is_null()
        & col("order_date").is_not_null(),
        "not_null:ship_date": col("ship_date").is_null(),
        "range:discount": ~col("discount").is_between(0, 0.5),
    }
    exprs = []
    for name, expr in failing.items():
        flag = expr.fill_null(False)
        exprs += [
            flag.sum().alias(f"n|{name}"),
            flag.arg_true().head(SAMPLE).implode().alias(f"f|{name}"),
        ]
    out = frame.select(exprs).row(0, named=True)
    done = time.perf_counter()
    counts = {name: int(out[f"n|{name}"]) for name in failing}
    counts["dtype:order_id"] = 0 if frame.schema["order_id"] == pl.Int64 else frame.height
    counts["row_count:"] = 0 if frame.height >= 1 else 1
    return {
        "load_s": loaded - started,
        "validate_s": done - loaded,
        "counts": counts,
        "first_failing": {name: list(out[f"f|{name}"]) for name in failing},
    }
