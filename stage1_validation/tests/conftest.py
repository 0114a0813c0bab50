"""Shared fixtures: a small rules file, a small orders frame with known problems."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

RULES_YAML = """\
key_columns: [order_id]
dataset:
  rules:
    - {rule: row_count, min: 1, max: 1000000}
    - {rule: unique, columns: [order_id, line_no]}
    - {rule: compare, left: ship_date, op: ">=", right: order_date}
columns:
  order_id:
    - {rule: not_null}
    - {rule: dtype, dtype: int64}
  amount:
    - {rule: range, min: 0, max: 10000, severity: warning, mostly: 0.99}
  currency:
    - {rule: allowed_values, values: [KRW, USD, EUR]}
"""


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    return path


@pytest.fixture
def orders() -> pd.DataFrame:
    """Six orders: a duplicate key (rows 1, 2), a late shipment (row 0), a bad currency (row 1),
    a null id (row 3), amounts out of range (rows 1, 2)."""
    return pd.DataFrame(
        {
            "order_id": [10, 20, 20, None, 50, 60],
            "line_no": [1, 1, 1, 1, 1, 1],
            "amount": [5.0, -1.0, 20000.0, 3.0, 1.0, 1.0],
            "currency": ["KRW", "GBP", "USD", None, "EUR", "EUR"],
            "order_date": [
                "2024-01-02",
                "2024-01-01",
                "2024-01-01",
                "2024-01-01",
                "2024-01-01",
                "2024-01-01",
            ],
            "ship_date": [
                "2024-01-01",
                "2024-01-01",
                "2024-01-03",
                None,
                "2024-01-01",
                "2024-01-05",
            ],
        }
    )
