"""The warehouse: PostgreSQL (via a URL) or an embedded DuckDB file, loaded idempotently per day.

``load_day`` deletes the day's rows and inserts the new ones in ONE transaction, for every
table at once, then records the load in ``etl_load_audit``. Running a day twice leaves the same
rows (멱등성); a crash midway rolls everything back, so a day is either fully there or absent.

URLs::

    duckdb:///data/stage4/warehouse.duckdb
    postgresql://postgres@127.0.0.1:5432/stage4?schema=shop
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pandas as pd

from stage4_pipelines.errors import ConfigError, Stage4Error, WarehouseBusy

__all__ = [
    "AUDIT_TABLE",
    "TABLE_COLUMNS",
    "DuckDBWarehouse",
    "PostgresWarehouse",
    "Warehouse",
    "connect_warehouse",
]

AUDIT_TABLE = "etl_load_audit"

TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "dim_customer": {
        "ds": "DATE", "customer_id": "BIGINT", "email": "TEXT", "signup_date": "DATE",
        "country": "TEXT", "cohort_month": "TEXT",
    },
    "dim_product": {
        "ds": "DATE", "product_id": "BIGINT", "name": "TEXT", "category": "TEXT",
        "price_krw": "BIGINT",
    },
    "fact_orders": {
        "ds": "DATE", "order_id": "BIGINT", "customer_id": "BIGINT", "order_ts": "TIMESTAMP",
        "order_date": "DATE", "status": "TEXT", "currency": "TEXT", "items": "BIGINT",
        "amount_krw": "BIGINT", "paid_krw": "BIGINT",
    },
    "fact_order_items": {
        "ds": "DATE", "order_id": "BIGINT", "line_no": "BIGINT", "product_id": "BIGINT",
        "category": "TEXT", "quantity": "BIGINT", "unit_price_krw": "BIGINT",
        "line_total_krw": "BIGINT",
    },
    "mart_daily_revenue": {
        "ds": "DATE", "orders": "BIGINT", "items": "BIGINT", "revenue_krw": "BIGINT",
        "avg_order_krw": "DOUBLE PRECISION", "paid_krw": "BIGINT",
    },
    "mart_orders_by_category": {
        "ds": "DATE", "category": "TEXT", "orders": "BIGINT", "items": "BIGINT",
        "revenue_krw": "BIGINT",
    },
    "mart_customer_cohorts": {
        "ds": "DATE", "cohort_month": "TEXT", "customers": "BIGINT", "orders": "BIGINT",
        "revenue_krw": "BIGINT",
    },
    AUDIT_TABLE: {
        "ds": "DATE", "rows_loaded": "BIGINT", "orders": "BIGINT", "revenue_krw": "BIGINT",
        "load_count": "BIGINT", "run_id": "TEXT", "loaded_at": "TIMESTAMP",
    },
}  # fmt: skip
"""Every warehouse table and its columns; all are partitioned by ``ds`` (the day processed)."""

_PRIMARY_KEYS = {
    "dim_customer": ("ds", "customer_id"),
    "dim_product": ("ds", "product_id"),
    "fact_orders": ("ds", "order_id"),
    "fact_order_items": ("ds", "order_id", "line_no"),
    "mart_daily_revenue": ("ds",),
    "mart_orders_by_category": ("ds", "category"),
    "mart_customer_cohorts": ("ds", "cohort_month"),
    AUDIT_TABLE: ("ds",),
}

BetweenTables = Callable[[str], None]


class Warehouse(ABC):
    """What the pipeline needs from a warehouse; subclasses speak one database's dialect."""

    url: str

    @abstractmethod
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction: committed on success, rolled back on any error."""

    @abstractmethod
    def _insert(self, cur: Any, table: str, frame: pd.DataFrame) -> None:
        """Bulk-insert ``frame`` (already in ``TABLE_COLUMNS[table]`` order)."""

    placeholder = "?"

    def create_tables(self) -> None:
        """Create every table that is missing (safe to call any number of times)."""
        with self._transaction() as cur:
            self._create_tables(cur)

    _tables_created = False

    def _create_tables(self, cur: Any) -> None:
        if self._tables_created:
            return
        for table, columns in TABLE_COLUMNS.items():
            cols = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            pk = ", ".join(_PRIMARY_KEYS[table])
            cur.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols}, PRIMARY KEY ({pk}))")
        self._tables_created = True

    def load_day(
        self,
        day: date,
        tables: dict[str, pd.DataFrame],
        *,
        run_id: str = "manual",
        between_tables: BetweenTables | None = None,
    ) -> int:
        """Replace ``day`` in every given table in one transaction; returns rows inserted.

        ``between_tables(table)`` runs after each table is written, inside the transaction
        (the chaos hook uses it to "kill" a load midway and prove the rollback).
        """
        unknown = sorted(set(tables) - set(TABLE_COLUMNS))
        if unknown:
            raise ConfigError(f"no warehouse table named {unknown}; known: {sorted(TABLE_COLUMNS)}")
        p = self.placeholder
        rows = 0
        with self._transaction() as cur:
            self._create_tables(cur)
            for table, frame in tables.items():
                cur.execute(f"DELETE FROM {table} WHERE ds = {p}", [day])
                columns = list(TABLE_COLUMNS[table])
                self._insert(cur, table, frame.assign(ds=day)[columns])
                rows += len(frame)
                if between_tables is not None:
                    between_tables(table)
            cur.execute(f"SELECT load_count FROM {AUDIT_TABLE} WHERE ds = {p}", [day])
            previous = cur.fetchone()
            cur.execute(f"DELETE FROM {AUDIT_TABLE} WHERE ds = {p}", [day])
            orders = tables.get("fact_orders", pd.DataFrame({"amount_krw": []}))
            cur.execute(
                f"INSERT INTO {AUDIT_TABLE} VALUES ({', '.join([p] * 7)})",
                [
                    day,
                    rows,
                    len(orders),
                    int(orders["amount_krw"].sum()),
                    (previous[0] if previous else 0) + 1,
                    run_id,
                    datetime.now(UTC).replace(tzinfo=None),
                ],
            )
        return rows

    def read_table(self, table: str, day: date | None = None) -> pd.DataFrame:
        """Rows of ``table`` (of one day when ``day`` is given), ordered by primary key."""
        if table not in TABLE_COLUMNS:
            raise ConfigError(f"no warehouse table named {table!r}; known: {sorted(TABLE_COLUMNS)}")
        where = f" WHERE ds = {self.placeholder}" if day is not None else ""
        order = ", ".join(_PRIMARY_KEYS[table])
        with self._transaction() as cur:
            self._create_tables(cur)
            cur.execute(f"SELECT * FROM {table}{where} ORDER BY {order}", [day] if day else [])
            names = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=names)

    def ping(self) -> None:
        """Open the warehouse once, so a wrong URL fails before any work, naming the fix."""
        try:
            with self._transaction() as cur:
                cur.execute("SELECT 1")
        except Stage4Error:
            raise
        except Exception as exc:  # the driver's own error types: OSError, duckdb, psycopg
            raise ConfigError(
                f"cannot open the warehouse {self.url} ({type(exc).__name__}: {exc}): fix "
                "STAGE4_WAREHOUSE_URL (a writable duckdb:/// path or a reachable PostgreSQL)"
            ) from exc

    def close(self) -> None:  # noqa: B027  (a no-op default, not an abstract method)
        """Release the connection (PostgreSQL connects per transaction: nothing to do)."""

    def loaded_days(self) -> set[date]:
        """Days with a committed load."""
        return set(self.read_table(AUDIT_TABLE)["ds"].map(_as_date))


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


class DuckDBWarehouse(Warehouse):
    """An embedded DuckDB file (the default: nothing to install or run)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = f"duckdb:///{self.path}"
        self._con: Any = None

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        if self._con is None:  # one connection per object: opening a DuckDB file is not free
            import duckdb

            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._con = duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                raise WarehouseBusy(
                    f"another process holds the DuckDB warehouse {self.path} ({exc}); DuckDB "
                    "takes one writer at a time: do not overlap runs (max_active_runs=1, "
                    "backfill --max-active-runs 1), or use PostgreSQL "
                    "(STAGE4_WAREHOUSE_URL=postgresql://...)"
                ) from exc
        con = self._con
        con.begin()
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()

    def close(self) -> None:
        """Close the file so another process can open it."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def _insert(self, cur: Any, table: str, frame: pd.DataFrame) -> None:
        cur.register("incoming_rows", frame)
        cols = ", ".join(frame.columns)
        cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming_rows")
        cur.unregister("incoming_rows")


class PostgresWarehouse(Warehouse):
    """PostgreSQL through psycopg 3; ``schema`` keeps one warehouse per test or learner."""

    placeholder = "%s"

    def __init__(self, dsn: str, *, schema: str = "public") -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
            raise ConfigError(f"schema {schema!r}: use lower-case letters, digits and _")
        self.dsn = dsn
        self.schema = schema
        self.url = f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        import psycopg

        # the connection block commits on success and rolls back on error
        with psycopg.connect(self.dsn) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            cur.execute(f"SET search_path TO {self.schema}")
            yield cur

    def _insert(self, cur: Any, table: str, frame: pd.DataFrame) -> None:
        columns = [[None if pd.isna(v) else v for v in frame[c].tolist()] for c in frame.columns]
        with cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN") as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)

    def drop_schema(self) -> None:
        """Remove the whole schema (tests and the grader clean up with this)."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


def connect_warehouse(url: str) -> Warehouse:
    """A warehouse from its URL (see the module docstring for the two forms)."""
    parsed = urlparse(url)
    if parsed.scheme == "duckdb":
        path = parsed.path if parsed.netloc == "" else f"{parsed.netloc}{parsed.path}"
        if url.startswith("duckdb:///"):
            path = url[len("duckdb:///") :]
        if not path:
            raise ConfigError(
                f"warehouse URL {url!r} names no file: use duckdb:///path/file.duckdb"
            )
        return DuckDBWarehouse(Path(path))
    if parsed.scheme in ("postgresql", "postgres"):
        query = parse_qs(parsed.query)
        schema = query.pop("schema", ["public"])[0]
        dsn = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
        return PostgresWarehouse(dsn, schema=schema)
    raise ConfigError(
        f"warehouse URL {url!r} is not supported: use duckdb:///file.duckdb "
        "or postgresql://user@host:5432/db?schema=name"
    )
