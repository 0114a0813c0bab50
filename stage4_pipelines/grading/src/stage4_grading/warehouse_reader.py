"""Count what the graded pipeline left in its warehouse (DuckDB file or PostgreSQL database).

The grader reads only what the interface fixes: ``fact_orders`` (``ds``, ``order_id``) and
``fact_order_items`` (``ds``, ``order_id``, ``quantity``, ``unit_price_krw``), one row per order
and per order line, ``ds`` being the day processed. Every other table is the learner's own; only
its ``ds`` column is looked at, to see whether a day that must not load left rows anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from stage4_grading.days import DayTruth
from stage4_pipelines.source.generator import order_checksum

__all__ = [
    "FACT_COLUMNS",
    "STAGING_PREFIXES",
    "DayCheck",
    "Facts",
    "WarehouseContractError",
    "check_day",
    "read_facts",
    "rows_of_day",
]

FACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "fact_orders": ("ds", "order_id"),
    "fact_order_items": ("ds", "order_id", "quantity", "unit_price_krw"),
}
STAGING_PREFIXES = ("raw_", "stg_", "staging_", "landing_", "tmp_")
"""Tables with these prefixes may hold a day the gate stopped (landing tables of an ELT design)."""


class WarehouseContractError(Exception):
    """Raised when the warehouse lacks a table or column the interface fixes."""


@dataclass
class Facts:
    """The two fact tables, ``ds`` as ISO strings."""

    orders: pd.DataFrame
    items: pd.DataFrame

    def of_day(self, day: date) -> Facts:
        """The rows of one day."""
        iso = day.isoformat()
        return Facts(self.orders[self.orders["ds"] == iso], self.items[self.items["ds"] == iso])

    def by_day(self) -> dict[str, Facts]:
        """Every day's rows, split in one pass (for thousands of days)."""
        orders = dict(iter(self.orders.groupby("ds")))
        items = dict(iter(self.items.groupby("ds")))
        empty = Facts(self.orders.iloc[0:0], self.items.iloc[0:0])
        return {
            str(day): Facts(orders.get(day, empty.orders), items.get(day, empty.items))
            for day in set(orders) | set(items)
        }


@dataclass(frozen=True)
class DayCheck:
    """One day in the warehouse against its truth."""

    day: date
    matches: bool
    found: str
    expected: str

    def describe(self) -> str:
        """``2024-01-01: 160 orders / 330 lines / 9,870,000 KRW, expected 80 / 165 / ...``."""
        if self.matches:
            return f"{self.day}: exactly once ({self.found})"
        return f"{self.day}: found {self.found}, expected {self.expected}"


def check_day(facts: Facts, truth: DayTruth, *, of_day: bool = False) -> DayCheck:
    """Is ``truth.day`` loaded exactly once: same orders, lines, revenue and order-id checksum?

    ``of_day=True`` when ``facts`` already holds only that day's rows.
    """
    day = facts if of_day else facts.of_day(truth.day)
    ids = [int(i) for i in day.orders["order_id"]]
    revenue = int((day.items["quantity"] * day.items["unit_price_krw"]).sum())
    found = _summary(len(ids), len(day.items), revenue)
    expected = _summary(truth.orders, truth.items, truth.revenue_krw)
    matches = (
        len(ids) == truth.orders
        and len(day.items) == truth.items
        and revenue == truth.revenue_krw
        and order_checksum(ids, revenue) == truth.checksum
    )
    if not matches and found == expected:
        found += " (other order ids)"
    return DayCheck(truth.day, matches, found, expected)


def _summary(orders: int, items: int, revenue: int) -> str:
    return f"{orders} orders / {items} lines / {revenue:,} KRW"


def read_facts(url: str) -> Facts:
    """Both fact tables (empty when the pipeline never created them)."""
    with _connect(url) as con:
        tables = _tables_with_ds(con)
        frames = {}
        for table, columns in FACT_COLUMNS.items():
            found = [t for t in tables if t[1] == table]
            if not found:
                frames[table] = pd.DataFrame({c: [] for c in columns})
                continue
            have = _columns(con, found[0])
            missing = [c for c in columns if c not in have]
            if missing:
                raise WarehouseContractError(
                    f"table {table} has no column(s) {missing} (it has {sorted(have)}); the "
                    f"grader counts {table}({', '.join(columns)}) per day"
                )
            frames[table] = _select(con, found[0], columns)
    orders, items = frames["fact_orders"], frames["fact_order_items"]
    for frame in (orders, items):
        frame["ds"] = _iso_days(frame["ds"])
    try:
        for column in ("order_id", "quantity", "unit_price_krw"):
            if column in items:
                items[column] = pd.to_numeric(items[column]).astype("int64")
        orders["order_id"] = pd.to_numeric(orders["order_id"]).astype("int64")
    except (TypeError, ValueError) as exc:
        raise WarehouseContractError(
            f"fact tables hold non-integer ids, quantities or prices ({exc}); the grader sums "
            "quantity * unit_price_krw in whole won"
        ) from exc
    return Facts(orders, items)


def rows_of_day(url: str, day: date) -> dict[str, int]:
    """Rows of ``day`` in every table with a ``ds`` column, landing tables excepted."""
    counts: dict[str, int] = {}
    with _connect(url) as con:
        for schema, table in _tables_with_ds(con):
            if table.startswith(STAGING_PREFIXES):
                continue
            frame = _select(con, (schema, table), ("ds",))
            n = int((_iso_days(frame["ds"]) == day.isoformat()).sum())
            if n:
                counts[table] = n
    return counts


def _iso_days(values: pd.Series) -> pd.Series:
    if values.empty:
        return values.astype("string")
    return pd.Series(
        pd.to_datetime(values.astype("string")).dt.strftime("%Y-%m-%d"), index=values.index
    )


class _Connection:
    """A DB-API connection to either warehouse, closed on exit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.kind = "duckdb" if url.startswith("duckdb:") else "postgres"
        self.con: Any = None

    def __enter__(self) -> _Connection:
        if self.kind == "duckdb":
            import duckdb

            path = Path(self.url.removeprefix("duckdb:///"))
            self.con = duckdb.connect(str(path)) if path.exists() else duckdb.connect()
        else:
            import psycopg

            self.con = psycopg.connect(self.url)
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()

    def rows(
        self, sql: str, params: tuple[Any, ...] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.cursor()
        try:
            cur.execute(sql, params)
            names = [d[0] for d in cur.description]
            return names, cur.fetchall()
        finally:
            cur.close()


def _connect(url: str) -> _Connection:
    if not url.startswith(("duckdb:///", "postgresql://", "postgres://")):
        raise WarehouseContractError(f"unsupported warehouse URL {url!r}")
    return _Connection(url)


def _tables_with_ds(con: _Connection) -> list[tuple[str, str]]:
    _, rows = con.rows(
        "SELECT table_schema, table_name FROM information_schema.columns "
        "WHERE lower(column_name) = 'ds' AND table_schema NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY table_schema, table_name"
    )
    return [(str(schema), str(table)) for schema, table in rows]


def _columns(con: _Connection, table: tuple[str, str]) -> set[str]:
    marker = "?" if con.kind == "duckdb" else "%s"
    _, rows = con.rows(
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = {marker} AND table_name = {marker}",
        table,
    )
    return {str(r[0]).lower() for r in rows}


def _select(con: _Connection, table: tuple[str, str], columns: tuple[str, ...]) -> pd.DataFrame:
    cols = ", ".join(f'"{c}"' for c in columns)
    names, rows = con.rows(f'SELECT {cols} FROM "{table[0]}"."{table[1]}"')
    return pd.DataFrame(rows, columns=names)
