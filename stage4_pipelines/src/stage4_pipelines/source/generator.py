"""A realistic e-commerce day, with the dirt real feeds have, and the truth to reconcile against.

The generator first builds the *clean* day (what really happened), records what a correct
pipeline must load (:class:`ExpectedDay`), then dirties the feed the way upstream systems do:
duplicated rows, null emails and categories, late-arriving orders from the day before,
currency codes in every spelling, an unknown currency, and schema drift on some days.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

__all__ = [
    "KRW_PER_MINOR_UNIT",
    "TABLES",
    "ExpectedDay",
    "SourceDay",
    "generate_day",
    "order_checksum",
]

TABLES: tuple[str, ...] = ("customers", "products", "orders", "order_items", "payments")
"""The tables the upstream serves for every day."""

KRW_PER_MINOR_UNIT: dict[str, int] = {"KRW": 1, "USD": 13, "EUR": 14, "BRL": 3}
"""Fixed conversion rates per minor unit (1 USD cent = 13 KRW): integer maths, exact checksums.
BRL is for the Olist source (1 centavo = 3 KRW, 300 KRW per real); the generator never emits it."""

_CATEGORIES = ("fashion", "electronics", "beauty", "home", "food", "sports")
_CURRENCY_SPELLINGS = {"KRW": ("KRW", "krw", " KRW", "Krw"), "USD": ("USD", "usd ", " Usd")}


@dataclass(frozen=True)
class ExpectedDay:
    """What a correct pipeline loads for the day: counts and checksums of the clean facts."""

    day: date
    orders: int
    items: int
    revenue_krw: int
    order_checksum: str
    rejected_orders: int


@dataclass
class SourceDay:
    """One day as the upstream serves it (dirty tables) plus the truth behind it."""

    day: date
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    expected: ExpectedDay | None = None


def order_checksum(order_ids: list[int] | pd.Series, revenue_krw: int) -> str:
    """Checksum of a day's facts: the sorted order ids and the revenue, hashed together."""
    ids = ",".join(str(int(i)) for i in sorted(int(x) for x in order_ids))
    return hashlib.sha256(f"{ids}|{revenue_krw}".encode()).hexdigest()[:16]


def generate_day(
    day: date, *, orders: int = 200, seed: int = 7, corrupt: bool = False
) -> SourceDay:
    """Generate ``day``'s feed with ``orders`` orders; ``corrupt`` makes it breach the quality SLA.

    The same ``(day, orders, seed)`` always gives the same feed, so a retry sees the same data.
    """
    rng = np.random.default_rng([seed, day.toordinal(), orders])
    n_customers = max(5, orders // 2)
    n_products = max(5, min(500, orders // 4))
    base_id = day.toordinal() * 1_000_000  # order ids never collide across days

    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1, dtype=np.int64),
            "email": [f"user{i}@example.com" for i in range(1, n_customers + 1)],
            "signup_date": [
                (day - timedelta(days=int(d))).isoformat()
                for d in rng.integers(0, 720, n_customers)
            ],
            "country": rng.choice(["KR", "US", "JP", "DE"], n_customers, p=[0.7, 0.15, 0.1, 0.05]),
        }
    )
    product_currency = rng.choice(["KRW", "USD"], n_products, p=[0.8, 0.2])
    product_price_minor = np.where(
        product_currency == "KRW",
        rng.integers(10, 2000, n_products) * 100,  # KRW, whole won
        rng.integers(199, 19_999, n_products),  # USD cents
    )
    products = pd.DataFrame(
        {
            "product_id": np.arange(1, n_products + 1, dtype=np.int64),
            "name": [f"product-{i}" for i in range(1, n_products + 1)],
            "category": rng.choice(_CATEGORIES, n_products),
            "price_minor": product_price_minor.astype(np.int64),
            "currency": product_currency,
        }
    )

    order_ids = base_id + np.arange(1, orders + 1, dtype=np.int64)
    seconds = rng.integers(0, 86_400, orders)
    start = datetime.combine(day, time())
    order_ts = [start + timedelta(seconds=int(s)) for s in seconds]
    late = rng.random(orders) < 0.03  # late arrivals: placed yesterday, delivered in today's feed
    order_ts = [
        ts - timedelta(days=1) if is_late else ts
        for ts, is_late in zip(order_ts, late, strict=True)
    ]
    order_currency = rng.choice(["KRW", "USD"], orders, p=[0.85, 0.15])
    unknown = rng.random(orders) < 0.01  # a currency nobody can convert: the row is rejected
    orders_df = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": rng.integers(1, n_customers + 1, orders).astype(np.int64),
            "order_ts": [ts.isoformat() for ts in order_ts],
            "status": rng.choice(["paid", "shipped", "delivered"], orders),
            "currency": np.where(unknown, "XXX", order_currency),
        }
    )

    n_lines = rng.integers(1, 4, orders)
    item_order = np.repeat(order_ids, n_lines)
    line_no = np.concatenate([np.arange(1, k + 1) for k in n_lines]).astype(np.int64)
    item_product = rng.integers(1, n_products + 1, len(item_order)).astype(np.int64)
    quantity = rng.integers(1, 5, len(item_order)).astype(np.int64)
    price_krw = (
        products["price_minor"].to_numpy()
        * np.array([KRW_PER_MINOR_UNIT[c] for c in products["currency"]])
    )[item_product - 1]
    items = pd.DataFrame(
        {
            "order_id": item_order,
            "line_no": line_no,
            "product_id": item_product,
            "quantity": quantity,
            "unit_price_krw": price_krw.astype(np.int64),
        }
    )

    # --- the truth: what a correct pipeline loads -----------------------------------------
    valid_orders = orders_df.loc[~unknown, "order_id"]
    valid_items = items[items["order_id"].isin(valid_orders)]
    revenue = int((valid_items["quantity"] * valid_items["unit_price_krw"]).sum())
    expected = ExpectedDay(
        day=day,
        orders=len(valid_orders),
        items=len(valid_items),
        revenue_krw=revenue,
        order_checksum=order_checksum(valid_orders.tolist(), revenue),
        rejected_orders=int(unknown.sum()),
    )

    # --- payments: one per order, in the order's currency ---------------------------------
    order_total_krw = (
        items.assign(t=items["quantity"] * items["unit_price_krw"]).groupby("order_id")["t"].sum()
    )
    totals = order_total_krw.reindex(order_ids).to_numpy()
    payments = pd.DataFrame(
        {
            "payment_id": order_ids + 500_000,
            "order_id": order_ids,
            "amount": [
                f"{t / 1300:.2f}" if cur == "USD" else str(int(t))
                for t, cur in zip(totals, orders_df["currency"], strict=True)
            ],
            "currency": orders_df["currency"],
            "method": rng.choice(["card", "bank_transfer", "kakao_pay", "naver_pay"], orders),
        }
    )

    if corrupt:
        bad = rng.random(len(items)) < 0.2
        items.loc[bad, "quantity"] = -items.loc[bad, "quantity"]
        orders_df["customer_id"] = orders_df["customer_id"].astype("Int64")
        orders_df.loc[rng.random(orders) < 0.15, "customer_id"] = pd.NA

    tables = _dirty(
        rng,
        day,
        {
            "customers": customers,
            "products": products,
            "orders": orders_df,
            "order_items": items,
            "payments": payments,
        },
    )
    return SourceDay(day=day, tables=tables, expected=expected)


def _dirty(
    rng: np.random.Generator, day: date, tables: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Make the clean tables look like a real feed (the transform must undo all of this)."""
    out = {}
    for name, df in tables.items():
        dup = df.sample(frac=0.02, random_state=int(rng.integers(2**31)))  # re-sent rows
        out[name] = pd.concat([df, dup], ignore_index=True)
    cust = out["customers"]
    cust.loc[rng.random(len(cust)) < 0.05, "email"] = None
    prod = out["products"]
    prod.loc[rng.random(len(prod)) < 0.03, "category"] = None
    orders = out["orders"]
    orders["currency"] = [
        str(rng.choice(_CURRENCY_SPELLINGS[c])) if c in _CURRENCY_SPELLINGS else c
        for c in orders["currency"]
    ]
    if (
        day.toordinal() % 7 == 0
    ):  # schema drift: once a week the items feed is renamed/typed differently
        items = out["order_items"].rename(
            columns={"unit_price_krw": "price_krw", "quantity": "qty"}
        )
        items["qty"] = items["qty"].astype(str)
        out["order_items"] = items
    return {
        name: df.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)
        for name, df in out.items()
    }
