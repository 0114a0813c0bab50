"""The days the grader serves, and what a correct pipeline must load for each (the truth).

The grader does not trust the learner's code to say what it loaded: it computes, from the very
tables it served, what must be in the warehouse afterwards — the valid orders (known currency),
their order lines, the revenue, and a checksum of the order ids — and counts what is there.
It also makes the days a real feed sometimes sends: a day corrupted on purpose (the quality SLA
must stop it) and a day republished with late orders (reprocessing must pick them up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
import pandas as pd

from stage4_pipelines.source.generator import KRW_PER_MINOR_UNIT, generate_day, order_checksum

__all__ = [
    "Corruption",
    "DayTruth",
    "corrupt",
    "is_drift_day",
    "late_orders",
    "truth_of",
]

_ITEM_ALIASES = {"qty": "quantity", "price_krw": "unit_price_krw"}
_LATE_ID_OFFSET = 900_000  # a day's own order ids are day * 1e6 + 1..orders: no collision


class Corruption(StrEnum):
    """Ways the grader breaks a day so that it breaches the quality SLA."""

    NEGATIVE_QUANTITY = "negative_quantity"
    """A fifth of the order lines have a negative quantity (the SLA: 1 to 100)."""
    NULL_CUSTOMER = "null_customer"
    """Some orders have no customer id (the SLA: every order has a customer)."""


@dataclass(frozen=True)
class DayTruth:
    """What the warehouse must hold for one day once it is loaded exactly once."""

    day: date
    orders: int
    items: int
    revenue_krw: int
    checksum: str


def is_drift_day(day: date) -> bool:
    """True on the days the upstream renames and retypes the order-line columns (weekly)."""
    return day.toordinal() % 7 == 0


def truth_of(day: date, tables: dict[str, pd.DataFrame]) -> DayTruth:
    """The truth of a day as served: valid orders, their lines, revenue and checksum.

    Written apart from the generator's own record on purpose, so that days the grader composed
    (republished with late orders) have a truth too; a test checks both agree on plain days.
    """
    orders = tables["orders"].drop_duplicates("order_id")
    currency = orders["currency"].astype("string").str.strip().str.upper()
    valid_ids = orders.loc[currency.isin(list(KRW_PER_MINOR_UNIT)).fillna(False), "order_id"]
    items = tables["order_items"].rename(columns=_ITEM_ALIASES)
    items = items.drop_duplicates(["order_id", "line_no"])
    items = items[items["order_id"].isin(valid_ids)]
    quantity = pd.to_numeric(items["quantity"]).astype("int64")
    revenue = int((quantity * pd.to_numeric(items["unit_price_krw"]).astype("int64")).sum())
    ids = [int(i) for i in valid_ids]
    return DayTruth(day, len(ids), len(items), revenue, order_checksum(ids, revenue))


def corrupt(
    tables: dict[str, pd.DataFrame], kind: Corruption, seed: int
) -> dict[str, pd.DataFrame]:
    """A copy of a served day that breaches the SLA in one way (at least one row affected)."""
    rng = np.random.default_rng(seed)
    out = {name: frame.copy() for name, frame in tables.items()}
    if kind is Corruption.NEGATIVE_QUANTITY:
        items = out["order_items"]
        column = "quantity" if "quantity" in items.columns else "qty"
        bad = rng.random(len(items)) < 0.2
        bad[0] = True
        values = pd.to_numeric(items[column]).astype("int64")
        values[bad] = -values[bad]
        items[column] = values if column == "quantity" else values.astype(str)
    else:
        orders = out["orders"]
        bad = rng.random(len(orders)) < 0.15
        bad[0] = True
        ids = orders["customer_id"].astype("Int64")
        orders["customer_id"] = ids.mask(pd.Series(bad, index=ids.index))
    return out


def late_orders(tables: dict[str, pd.DataFrame], day: date, count: int) -> dict[str, pd.DataFrame]:
    """The day republished with ``count`` late orders added (lines and payments included).

    The late orders reuse the day's customers and products, at the day's own product prices, so
    any correct design (replace the day, or upsert by key) loads exactly the new truth.
    """
    extra = generate_day(day, orders=count, seed=4242).tables
    prices = _product_prices(tables["products"])
    orders = extra["orders"].assign(order_id=lambda d: d["order_id"] + _LATE_ID_OFFSET)
    items = extra["order_items"].rename(columns=_ITEM_ALIASES)
    items = items.assign(
        order_id=items["order_id"] + _LATE_ID_OFFSET,
        product_id=items["product_id"].map(lambda p: _known(p, prices)),
    )
    items["quantity"] = pd.to_numeric(items["quantity"]).astype("int64")
    items["unit_price_krw"] = items["product_id"].map(prices).astype("int64")
    served_items = tables["order_items"]
    if "qty" in served_items.columns:  # keep the day's drifted column names and types
        items = items.rename(columns={v: k for k, v in _ITEM_ALIASES.items()})
        items["qty"] = items["qty"].astype(str)
    payments = extra["payments"].assign(
        order_id=lambda d: d["order_id"] + _LATE_ID_OFFSET,
        payment_id=lambda d: d["payment_id"] + _LATE_ID_OFFSET,
    )
    return {
        **tables,
        "orders": pd.concat([tables["orders"], orders], ignore_index=True),
        "order_items": pd.concat([served_items, items[served_items.columns]], ignore_index=True),
        "payments": pd.concat([tables["payments"], payments], ignore_index=True),
    }


def _product_prices(products: pd.DataFrame) -> dict[int, int]:
    unique = products.drop_duplicates("product_id")
    currency = unique["currency"].astype("string").str.strip().str.upper()
    rate = currency.map(KRW_PER_MINOR_UNIT).astype("int64")
    price = pd.to_numeric(unique["price_minor"]).astype("int64") * rate
    return dict(zip(unique["product_id"].astype("int64"), price, strict=True))


def _known(product_id: int, prices: dict[int, int]) -> int:
    ids = sorted(prices)
    return ids[int(product_id) % len(ids)]
