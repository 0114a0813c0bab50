"""Small files in exactly the layout of Olist's Kaggle CSVs, for the Olist source's tests.

What the real files look like, and this writer copies: ``olist_orders_dataset.csv`` quotes
every field (a missing date is ``""``), the other files quote nothing; timestamps are
``2017-10-02 10:56:33`` (São Paulo wall-clock time); prices are BRL with a dot and two
decimals; ids are 32 hex digits; ``product_category_name_translation.csv`` starts with a UTF-8
byte-order mark; ``product_name_lenght`` is Olist's own spelling.

The sample covers what real days have: orders with several items (the same product twice) and
several payments (voucher + card), canceled and unavailable orders (with and without items), a
delivered order whose delivered date is missing, a product without a category, a category
without an English name, a repeat buyer under a new per-order ``customer_id``, an order at
23:59:59 and at 00:00:00, and empty days inside the span.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

__all__ = ["SAMPLE", "Order", "hexid", "write_olist"]


def hexid(name: str) -> str:
    """A 32-hex-digit id like Olist's, stable for a readable test name."""
    return hashlib.md5(name.encode()).hexdigest()  # an id, not security


@dataclass
class Order:
    """One Olist order and what hangs off it, in the files' own terms."""

    name: str
    person: str
    status: str
    purchased: str
    items: list[tuple[str, str, str]] = field(default_factory=list)
    """(product, price, freight_value) per unit, as written in the items file."""
    payments: list[tuple[str, int, str]] = field(default_factory=list)
    """(payment_type, payment_installments, payment_value) per payment_sequential."""
    approved: str | None = None
    carrier: str | None = None
    delivered: str | None = None
    estimated: str = "2017-12-20 00:00:00"

    @property
    def day(self) -> date:
        return date.fromisoformat(self.purchased[:10])


PRODUCTS: dict[str, str | None] = {
    "p1": "cama_mesa_banho",  # translated: bed_bath_table
    "p2": "beleza_saude",  # translated: health_beauty
    "p3": "pc_gamer",  # no English name in the translation file (as in the real one)
    "p4": None,  # no category (as ~610 real products)
    "p5": "informatica_acessorios",  # translated: computers_accessories
}
TRANSLATION = {
    "cama_mesa_banho": "bed_bath_table",
    "beleza_saude": "health_beauty",
    "informatica_acessorios": "computers_accessories",
}

SAMPLE: list[Order] = [
    Order(  # u7's first purchase: their cohort is 2017-10
        "o0", "u7", "delivered", "2017-10-02 10:56:33",
        items=[("p5", "29.99", "8.72")], payments=[("credit_card", 1, "38.71")],
        approved="2017-10-02 11:07:15", carrier="2017-10-04 19:55:00",
        delivered="2017-10-10 21:25:13",
    ),
    Order(  # two units of the same product, a voucher and a card
        "o1", "u1", "delivered", "2017-11-24 10:56:33",
        items=[("p1", "58.90", "13.29"), ("p1", "58.90", "13.29")],
        payments=[("voucher", 1, "20.00"), ("credit_card", 3, "124.38")],
        approved="2017-11-24 11:07:15", carrier="2017-11-27 19:55:00",
        delivered="2017-12-01 21:25:13",
    ),
    Order(  # canceled after payment, items kept
        "o2", "u2", "canceled", "2017-11-24 11:00:00",
        items=[("p2", "120.00", "15.50")], payments=[("boleto", 1, "135.50")],
    ),
    Order(  # unavailable: no items at all, paid; the last second of the day
        "o3", "u3", "unavailable", "2017-11-24 23:59:59",
        payments=[("credit_card", 2, "45.00")], approved="2017-11-25 00:10:02",
    ),
    Order(  # delivered, but the delivered date is missing (real Olist has a few)
        "o4", "u4", "delivered", "2017-11-24 00:00:00",
        items=[("p3", "1999.99", "50.50")], payments=[("credit_card", 10, "2050.49")],
        approved="2017-11-24 00:15:00", carrier="2017-11-27 09:00:00",
    ),
    Order(  # shipped, a product without a category, a price under one real
        "o5", "u5", "shipped", "2017-11-24 21:30:00",
        items=[("p4", "0.85", "7.39")], payments=[("debit_card", 1, "8.24")],
        approved="2017-11-24 21:45:00", carrier="2017-11-27 10:00:00",
    ),
    Order(  # u1 again, under a new per-order customer_id; first second of the next day
        "o6", "u1", "delivered", "2017-11-25 00:00:00",
        items=[("p1", "55.00", "12.00")], payments=[("credit_card", 1, "67.00")],
        approved="2017-11-25 00:20:00", carrier="2017-11-27 12:00:00",
        delivered="2017-12-02 11:00:00",
    ),
    Order(  # three lines, two card payments
        "o7", "u7", "invoiced", "2017-11-25 14:02:11",
        items=[("p2", "89.90", "10.00"), ("p4", "12.50", "5.00"), ("p5", "249.00", "20.00")],
        payments=[("credit_card", 4, "300.00"), ("credit_card", 1, "86.40")],
        approved="2017-11-25 14:30:00",
    ),
    Order(  # created, never approved, nothing else
        "o8", "u8", "created", "2017-11-25 23:10:00",
    ),
]  # fmt: skip
"""The sample: 2017-10-02, 2017-11-24 (5 orders) and 2017-11-25 (3 orders), São Paulo time."""


def _write(path: Path, header: list[str], rows: list[list[object]], *, quote_all: bool) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(
            f, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n"
        )
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def write_olist(folder: Path, orders: list[Order] | None = None) -> Path:
    """Write the six files the source reads (plus sellers, which it ignores) into ``folder``."""
    orders = SAMPLE if orders is None else orders
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "olist_orders_dataset.csv",
        [
            "order_id", "customer_id", "order_status", "order_purchase_timestamp",
            "order_approved_at", "order_delivered_carrier_date",
            "order_delivered_customer_date", "order_estimated_delivery_date",
        ],
        [
            [hexid(o.name), hexid(f"customer-of-{o.name}"), o.status, o.purchased,
             o.approved, o.carrier, o.delivered, o.estimated]
            for o in orders
        ],
        quote_all=True,
    )  # fmt: skip
    _write(
        folder / "olist_order_items_dataset.csv",
        ["order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date",
         "price", "freight_value"],
        [
            [hexid(o.name), n, hexid(product), hexid("seller"), "2017-12-01 00:00:00",
             price, freight]
            for o in orders
            for n, (product, price, freight) in enumerate(o.items, start=1)
        ],
        quote_all=False,
    )  # fmt: skip
    _write(
        folder / "olist_order_payments_dataset.csv",
        ["order_id", "payment_sequential", "payment_type", "payment_installments",
         "payment_value"],
        [
            [hexid(o.name), n, kind, installments, value]
            for o in orders
            for n, (kind, installments, value) in enumerate(o.payments, start=1)
        ],
        quote_all=False,
    )  # fmt: skip
    _write(
        folder / "olist_customers_dataset.csv",
        ["customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city",
         "customer_state"],
        [[hexid(f"customer-of-{o.name}"), hexid(o.person), "01310", "sao paulo", "SP"]
         for o in orders],
        quote_all=False,
    )  # fmt: skip
    _write(
        folder / "olist_products_dataset.csv",
        ["product_id", "product_category_name", "product_name_lenght",
         "product_description_lenght", "product_photos_qty", "product_weight_g",
         "product_length_cm", "product_height_cm", "product_width_cm"],
        [
            [hexid(p), c, None if c is None else 40, None if c is None else 287,
             None if c is None else 1, 225, 16, 10, 14]
            for p, c in PRODUCTS.items()
        ],
        quote_all=False,
    )  # fmt: skip
    _write(
        folder / "olist_sellers_dataset.csv",
        ["seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"],
        [[hexid("seller"), "13023", "campinas", "SP"]],
        quote_all=False,
    )
    translation = folder / "product_category_name_translation.csv"
    with translation.open("w", newline="", encoding="utf-8-sig") as f:  # the real one has a BOM
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["product_category_name", "product_category_name_english"])
        writer.writerows(TRANSLATION.items())
    return folder


def day_orders(day: date, orders: list[Order] | None = None) -> list[Order]:
    """The sample's orders purchased on ``day`` (São Paulo)."""
    return [o for o in (SAMPLE if orders is None else orders) if o.day == day]


def revenue_centavos(day: date) -> int:
    """Σ item price of ``day`` in centavos, summed with Decimal from the strings written."""
    total = sum((Decimal(p) for o in day_orders(day) for _, p, _ in o.items), Decimal(0))
    return int(total * 100)


def paid_centavos(day: date) -> int:
    """Σ payment value of ``day`` in centavos (items + freight, as Olist's payments are)."""
    total = sum((Decimal(v) for o in day_orders(day) for _, _, v in o.payments), Decimal(0))
    return int(total * 100)
