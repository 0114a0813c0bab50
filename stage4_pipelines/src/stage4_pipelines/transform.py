"""Transform a raw day into clean facts and dimensions, then into the daily marts.

The two halves are separate on purpose: the quality gate sits between them, so a day that
breaches the SLA never reaches the marts (품질 게이트는 마트 이전에 위치).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from stage4_pipelines.errors import SchemaDriftError
from stage4_pipelines.extract import RawDay
from stage4_pipelines.source.generator import KRW_PER_MINOR_UNIT

__all__ = [
    "COLUMN_ALIASES",
    "FACT_TABLES",
    "MART_TABLES",
    "TransformedDay",
    "build_facts",
    "build_marts",
    "transform_day",
]

FACT_TABLES: tuple[str, ...] = ("dim_customer", "dim_product", "fact_orders", "fact_order_items")
MART_TABLES: tuple[str, ...] = (
    "mart_daily_revenue",
    "mart_orders_by_category",
    "mart_customer_cohorts",
)

COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "order_items": {"quantity": ("qty",), "unit_price_krw": ("price_krw", "unit_price")},
}
"""Known schema drift: the canonical column name and the names the feed has used for it."""

_KEYS = {
    "customers": ["customer_id"],
    "products": ["product_id"],
    "orders": ["order_id"],
    "order_items": ["order_id", "line_no"],
    "payments": ["payment_id"],
}
_REQUIRED = {
    "customers": ("customer_id", "email", "signup_date", "country"),
    "products": ("product_id", "name", "category", "price_minor", "currency"),
    "orders": ("order_id", "customer_id", "order_ts", "status", "currency"),
    "order_items": ("order_id", "line_no", "product_id", "quantity", "unit_price_krw"),
    "payments": ("payment_id", "order_id", "amount", "currency", "method"),
}


@dataclass
class TransformedDay:
    """Facts, dimensions and (after the gate) marts of one day, plus what was rejected."""

    day: date
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejected_orders: int = 0
    duplicates_dropped: int = 0


def _conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Rename drifted columns back to their canonical names; fail clearly if one is missing."""
    for canonical, aliases in COLUMN_ALIASES.get(name, {}).items():
        if canonical not in df.columns:
            for alias in aliases:
                if alias in df.columns:
                    df = df.rename(columns={alias: canonical})
                    break
    missing = [c for c in _REQUIRED[name] if c not in df.columns]
    if missing:
        raise SchemaDriftError(
            f"feed table {name!r} lacks column(s) {missing} (has {list(df.columns)}); "
            f"add the new name to COLUMN_ALIASES[{name!r}] in transform.py"
        )
    return df


def _currency(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().str.upper()


def _to_krw(amount: pd.Series, currency: pd.Series) -> pd.Series:
    """Convert decimal amounts to whole won through integer minor units (exact for USD cents)."""
    minor = np.where(currency == "KRW", 1, 100) * pd.to_numeric(amount).to_numpy()
    rate = currency.map(KRW_PER_MINOR_UNIT).to_numpy(dtype="float64")
    return pd.Series(np.round(minor).astype("int64") * rate, index=amount.index).astype("int64")


def build_facts(raw: RawDay) -> TransformedDay:
    """Clean, dedupe and conform the raw tables into facts and dimensions."""
    tables = {name: _conform(name, df) for name, df in raw.tables.items()}
    before = sum(len(df) for df in tables.values())
    tables = {name: df.drop_duplicates(subset=_KEYS[name]) for name, df in tables.items()}
    duplicates = before - sum(len(df) for df in tables.values())
    ds = raw.day

    customers = tables["customers"]
    signup = pd.to_datetime(customers["signup_date"])
    dim_customer = pd.DataFrame(
        {
            "ds": ds,
            "customer_id": customers["customer_id"].astype("int64"),
            "email": customers["email"].astype("string"),
            "signup_date": signup.dt.date,
            "country": customers["country"].astype("string"),
            "cohort_month": signup.dt.strftime("%Y-%m").astype("string"),
        }
    )

    products = tables["products"]
    product_currency = _currency(products["currency"])
    dim_product = pd.DataFrame(
        {
            "ds": ds,
            "product_id": products["product_id"].astype("int64"),
            "name": products["name"].astype("string"),
            "category": products["category"].astype("string").fillna("unknown"),
            "price_krw": products["price_minor"].astype("int64")
            * product_currency.map(KRW_PER_MINOR_UNIT).astype("int64"),
        }
    )

    orders = tables["orders"].assign(currency=lambda d: _currency(d["currency"]))
    known = orders["currency"].isin(list(KRW_PER_MINOR_UNIT))
    rejected = int((~known).sum())
    orders = orders[known]

    items = tables["order_items"]
    items = items[items["order_id"].isin(orders["order_id"])]
    quantity = pd.to_numeric(items["quantity"]).astype("int64")
    unit_price = pd.to_numeric(items["unit_price_krw"]).astype("int64")
    category = items["product_id"].map(dim_product.set_index("product_id")["category"])
    fact_items = pd.DataFrame(
        {
            "ds": ds,
            "order_id": items["order_id"].astype("int64"),
            "line_no": items["line_no"].astype("int64"),
            "product_id": items["product_id"].astype("int64"),
            "category": category.fillna("unknown").astype("string"),
            "quantity": quantity,
            "unit_price_krw": unit_price,
            "line_total_krw": quantity * unit_price,
        }
    )

    payments = tables["payments"]
    payments = payments[payments["order_id"].isin(orders["order_id"])]
    paid = _to_krw(payments["amount"], _currency(payments["currency"]))
    paid_by_order = paid.groupby(payments["order_id"]).sum()
    per_order = fact_items.groupby("order_id").agg(
        items=("line_no", "size"), amount_krw=("line_total_krw", "sum")
    )
    order_ts = pd.to_datetime(orders["order_ts"])
    fact_orders = pd.DataFrame(
        {
            "ds": ds,
            "order_id": orders["order_id"].astype("int64"),
            "customer_id": pd.to_numeric(orders["customer_id"]).astype("Int64"),
            "order_ts": order_ts,
            "order_date": order_ts.dt.date,
            "status": orders["status"].astype("string"),
            "currency": orders["currency"].astype("string"),
        }
    )
    fact_orders = fact_orders.join(per_order, on="order_id")
    fact_orders["items"] = fact_orders["items"].fillna(0).astype("int64")
    fact_orders["amount_krw"] = fact_orders["amount_krw"].fillna(0).astype("int64")
    fact_orders["paid_krw"] = fact_orders["order_id"].map(paid_by_order).fillna(0).astype("int64")

    out = {
        "dim_customer": dim_customer,
        "dim_product": dim_product,
        "fact_orders": fact_orders,
        "fact_order_items": fact_items,
    }
    return TransformedDay(
        day=ds,
        tables={name: df.reset_index(drop=True) for name, df in out.items()},
        rejected_orders=rejected,
        duplicates_dropped=duplicates,
    )


def build_marts(facts: TransformedDay) -> TransformedDay:
    """Add the daily marts (revenue, orders by category, customer cohorts) to validated facts."""
    orders = facts.tables["fact_orders"]
    items = facts.tables["fact_order_items"]
    customers = facts.tables["dim_customer"]
    ds = facts.day
    revenue = pd.DataFrame(
        {
            "ds": [ds],
            "orders": [len(orders)],
            "items": [len(items)],
            "revenue_krw": [int(orders["amount_krw"].sum())],
            "avg_order_krw": [float(orders["amount_krw"].mean()) if len(orders) else 0.0],
            "paid_krw": [int(orders["paid_krw"].sum())],
        }
    )
    by_category = (
        items.groupby("category", as_index=False)
        .agg(
            orders=("order_id", "nunique"),
            items=("line_no", "size"),
            revenue_krw=("line_total_krw", "sum"),
        )
        .assign(ds=ds)
    )
    cohorts = (
        orders.merge(customers[["customer_id", "cohort_month"]], on="customer_id", how="left")
        .assign(cohort_month=lambda d: d["cohort_month"].fillna("unknown"))
        .groupby("cohort_month", as_index=False)
        .agg(
            customers=("customer_id", "nunique"),
            orders=("order_id", "size"),
            revenue_krw=("amount_krw", "sum"),
        )
        .assign(ds=ds)
    )
    marts = {
        "mart_daily_revenue": revenue,
        "mart_orders_by_category": by_category[
            ["ds", "category", "orders", "items", "revenue_krw"]
        ],
        "mart_customer_cohorts": cohorts[
            ["ds", "cohort_month", "customers", "orders", "revenue_krw"]
        ],
    }
    tables = dict(facts.tables)
    tables.update(
        {
            name: df.astype(
                {
                    c: "int64"
                    for c in df.columns
                    if c in ("orders", "items", "customers", "revenue_krw", "paid_krw")
                }
            )
            for name, df in marts.items()
        }
    )
    return TransformedDay(
        day=ds,
        tables=tables,
        rejected_orders=facts.rejected_orders,
        duplicates_dropped=facts.duplicates_dropped,
    )


def transform_day(raw: RawDay) -> TransformedDay:
    """Facts and marts in one go (no gate in between): for notebooks and quick looks only."""
    return build_marts(build_facts(raw))
