"""A generated orders dataset with labelled, injected errors (for tests, grading and benchmarks).

Each injected error breaks exactly one rule in exactly one row (a duplicate key breaks
``unique`` in both rows of the pair), so a correct validator's failing rows must equal the
labels: precision and recall both 100%.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SyntheticDataset", "make_orders", "orders_rules", "rule_id"]


def rule_id(rule: str, column: str | list[str] | None) -> str:
    """How a report entry is named in the labels: ``range:amount``, ``unique:order_id,line_no``."""
    if isinstance(column, list):
        column = ",".join(column)
    return f"{rule}:{column or ''}"


def orders_rules(n_rows: int, *, sample_size: int = 5) -> dict[str, Any]:
    """The rules (file shape) that the generated orders are checked against: 14 rules."""
    return {
        "key_columns": ["order_id", "line_no"],
        "sample_size": sample_size,
        "dataset": {
            "rules": [
                {"rule": "row_count", "min": 1, "max": max(n_rows, 1) * 2},
                {"rule": "unique", "columns": ["order_id", "line_no"]},
                {
                    "rule": "compare",
                    "left": "ship_date",
                    "op": ">=",
                    "right": "order_date",
                    "as_type": "datetime",
                },
            ]
        },
        "columns": {
            "order_id": [{"rule": "not_null"}, {"rule": "dtype", "dtype": "int64"}],
            "customer_id": [{"rule": "not_null"}],
            "email": [{"rule": "regex", "pattern": r"[^@\s]+@[^@\s]+\.[a-z]{2,}"}],
            "country": [{"rule": "str_length", "min": 2, "max": 2}],
            "currency": [{"rule": "allowed_values", "values": ["KRW", "USD", "EUR", "JPY"]}],
            "amount": [{"rule": "range", "min": 0, "max": 10000}],
            "quantity": [{"rule": "dtype", "dtype": "int"}],
            "order_date": [{"rule": "date_format", "format": "%Y-%m-%d"}],
            "ship_date": [{"rule": "not_null", "severity": "warning", "mostly": 0.5}],
            "discount": [{"rule": "range", "min": 0, "max": 0.5, "severity": "warning"}],
        },
    }


@dataclass
class SyntheticDataset:
    """The frame, its rules, and for each rule id the row labels that must fail it."""

    frame: pd.DataFrame
    rules: dict[str, Any]
    expected: dict[str, set[int]] = field(default_factory=dict)
    seed: int = 0


def make_orders(
    n_rows: int = 10_000, *, seed: int = 7, errors_per_rule: int | None = None
) -> SyntheticDataset:
    """Generate ``n_rows`` orders (12 columns) and inject labelled errors for every rule type.

    Duplicate keys are injected as pairs whose two rows sit in different halves of the file,
    so a chunked validator must look across chunks to find them.
    """
    if n_rows < 200:
        raise ValueError(f"n_rows must be >= 200 to fit the injected errors, got {n_rows}")
    rng = np.random.default_rng(seed)
    k = errors_per_rule or max(3, n_rows // 2000)
    ids = np.arange(1, n_rows + 1, dtype=np.int64)
    days = rng.integers(0, 365, n_rows)
    order_date = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    ship_date = order_date + pd.to_timedelta(rng.integers(0, 10, n_rows), unit="D")
    frame = pd.DataFrame(
        {
            "order_id": ids,
            "line_no": rng.integers(1, 4, n_rows),
            "customer_id": rng.integers(1, 50_000, n_rows).astype("float64"),
            "email": pd.Series(ids.astype(str)).radd("user").add("@example.com").to_numpy(),
            "country": rng.choice(np.array(["KR", "US", "DE", "JP"]), n_rows),
            "currency": rng.choice(np.array(["KRW", "USD", "EUR", "JPY"]), n_rows),
            "amount": rng.uniform(0, 10_000, n_rows).round(2),
            "quantity": rng.integers(1, 20, n_rows).astype(object),
            "order_date": order_date.strftime("%Y-%m-%d"),
            "ship_date": ship_date.strftime("%Y-%m-%d").to_numpy().astype(object),
            "discount": rng.uniform(0, 0.5, n_rows).round(3),
            "note": rng.choice(np.array(["", "gift", "express", "fragile"]), n_rows),
        }
    )
    # Disjoint rows for each injection, so each labelled row breaks exactly one rule.
    half = n_rows // 2
    first_half = rng.permutation(half)
    second_half = half + rng.permutation(n_rows - half)
    pool = iter(np.concatenate([first_half[: 10 * k], second_half[: 10 * k]]).tolist())

    def take(n: int) -> list[int]:
        return [next(pool) for _ in range(n)]

    expected: dict[str, set[int]] = {}
    dup_a, dup_b = first_half[10 * k : 11 * k].tolist(), second_half[10 * k : 11 * k].tolist()
    frame.loc[dup_b, "order_id"] = frame.loc[dup_a, "order_id"].to_numpy()
    frame.loc[dup_b, "line_no"] = frame.loc[dup_a, "line_no"].to_numpy()
    expected["unique:order_id,line_no"] = set(dup_a) | set(dup_b)

    rows = take(k)
    frame.loc[rows, "customer_id"] = np.nan
    expected["not_null:customer_id"] = set(rows)
    rows = take(k)
    frame.loc[rows, "email"] = "not-an-email"
    expected["regex:email"] = set(rows)
    rows = take(k)
    frame.loc[rows, "country"] = "KOR"
    expected["str_length:country"] = set(rows)
    rows = take(k)
    frame.loc[rows, "currency"] = "GBP"
    expected["allowed_values:currency"] = set(rows)
    rows = take(k)
    frame.loc[rows, "amount"] = -5.0
    expected["range:amount"] = set(rows)
    rows = take(k)
    frame.loc[rows, "quantity"] = "three"
    expected["dtype:quantity"] = set(rows)
    rows = take(k)
    frame.loc[rows, "order_date"] = "03/15/2024"
    expected["date_format:order_date"] = set(rows)
    rows = take(k)
    late = pd.to_datetime(frame.loc[rows, "order_date"]) - pd.Timedelta(days=3)
    frame.loc[rows, "ship_date"] = late.dt.strftime("%Y-%m-%d").to_numpy()
    expected["compare:ship_date,order_date"] = set(rows)
    rows = take(k)
    frame.loc[rows, "ship_date"] = None
    expected["not_null:ship_date"] = set(rows)
    rows = take(k)
    frame.loc[rows, "discount"] = 0.9
    expected["range:discount"] = set(rows)
    for name in ("row_count:", "not_null:order_id", "dtype:order_id"):
        expected[name] = set()
    frame["ship_date"] = frame["ship_date"].astype("str").where(frame["ship_date"].notna(), None)
    sample_size = n_rows  # grading needs every failing row listed, not a sample
    return SyntheticDataset(
        frame=frame,
        rules=orders_rules(n_rows, sample_size=sample_size),
        expected=expected,
        seed=seed,
    )
