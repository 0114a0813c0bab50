"""Real data: Olist's "Brazilian E-Commerce Public Dataset" (the Kaggle CSVs) as the upstream.

``STAGE4_SOURCE_URL=olist:///abs/folder`` (or ``olist:relative/folder``) points the pipeline
at the unzipped Kaggle folder. :class:`OlistSource` serves one day at a time in the pipeline's
own raw format (the five tables the generator serves), so the same transform, quality gate and
idempotent load run on it. A day is the orders whose ``order_purchase_timestamp`` falls on it in
``STAGE4_TIMEZONE``; Olist's timestamps are São Paulo wall-clock times
(``STAGE4_SOURCE_TIMEZONE``, default ``America/Sao_Paulo``).

What maps to what (why each choice is made is in the README, "Real data: Olist"):

* ids: Olist's ids are 32 hex digits; the warehouse keys are BIGINT, so an id becomes the
  integer of its **first 15 hex digits** (``format(order_id, "015x")`` gives the prefix back).
  Collisions are checked when the files load.
* customers: keyed by ``customer_unique_id`` (the person), not ``customer_id`` (one per order);
  ``signup_date`` is the person's first purchase in the files; ``country`` is ``BR``; no e-mail.
* order items: one Olist row is one unit (``quantity`` 1, ``line_no`` = ``order_item_id``);
  ``price`` (BRL, two decimals) becomes whole centavos, then won at :data:`KRW_PER_CENTAVO`.
* payments: every ``payment_sequential`` row, ``payment_value`` as written (BRL).
* products: ``product_category_name`` in English where the translation file has it.

Nothing is downloaded: the folder must already hold the files. Every problem with the folder
(missing files, another layout, values that are not Olist's, another encoding, a day outside the
data) raises :class:`~stage4_pipelines.errors.ConfigError` naming the file and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from stage4_pipelines.errors import ConfigError
from stage4_pipelines.source.generator import KRW_PER_MINOR_UNIT, ExpectedDay, order_checksum
from stage4_pipelines.source.olist_csv import OLIST_FILES, load_olist, olist_int_ids

__all__ = ["KRW_PER_CENTAVO", "OlistSource", "olist_int_ids"]

KRW_PER_CENTAVO = KRW_PER_MINOR_UNIT["BRL"]
"""The fixed rate the pipeline converts Olist's BRL with (integer maths keeps checksums exact)."""


class OlistSource:
    """One day of the Olist files in the pipeline's raw format (see the module docstring)."""

    def __init__(
        self,
        folder: Path,
        *,
        timezone: str = "Asia/Seoul",
        source_timezone: str = "America/Sao_Paulo",
        encoding: str = "utf-8",
    ) -> None:
        self.data = load_olist(folder, encoding=encoding)
        self.timezone = timezone
        self.source_timezone = source_timezone
        self._local = self._pipeline_local()
        self._midnight = self._local.dt.normalize()  # datetime64: fast to compare and group
        self._first: pd.Series | None = None
        self._cached: tuple[date, dict[str, pd.DataFrame]] | None = None

    def _pipeline_local(self) -> pd.Series:
        """Purchase times as wall-clock times of the pipeline's timezone."""
        purchased = self.data.orders["purchased"]
        if self.timezone == self.source_timezone:
            return purchased
        # Brazil had daylight saving until 2019: an hour that happened twice is read as the
        # first (summer) one, an hour that never happened is moved forward.
        aware = purchased.dt.tz_localize(
            self.source_timezone,
            ambiguous=np.ones(len(purchased), dtype=bool),
            nonexistent="shift_forward",
        )
        local: pd.Series = aware.dt.tz_convert(self.timezone).dt.tz_localize(None)
        return local

    def span(self) -> tuple[date, date]:
        """First and last day (pipeline timezone) with an order in the files."""
        if self._midnight.empty:
            raise ConfigError(f"{self.data.folder}: {OLIST_FILES['orders'][0]} has no orders")
        return self._midnight.min().date(), self._midnight.max().date()

    def check_days(self, days: Sequence[date]) -> None:
        """Refuse days outside the files' span: the data has no such day (not an empty day)."""
        first, last = self.span()
        outside = sorted(d for d in days if not first <= d <= last)
        if outside:
            which = (
                f"day {outside[0]} is"
                if len(outside) == 1
                else f"{len(outside)} days ({outside[0]} ... {outside[-1]}) are"
            )
            raise ConfigError(
                f"{which} outside the Olist data in {self.data.folder}: its orders run from "
                f"{first} to {last} ({self.timezone} days); pick days in that span"
            )

    def fetch_table(self, day: date, table: str) -> pd.DataFrame:
        """The table of ``day`` in the pipeline's raw format."""
        if self._cached is None or self._cached[0] != day:
            self.check_days([day])
            self._cached = (day, self._day_tables(day))
        return self._cached[1][table].copy()

    def _day_orders(self, day: date) -> pd.DataFrame:
        mask = (self._midnight == pd.Timestamp(day)).to_numpy()
        orders: pd.DataFrame = self.data.orders[mask].assign(order_ts=self._local[mask])
        return orders

    def _day_tables(self, day: date) -> dict[str, pd.DataFrame]:
        data = self.data
        orders = self._day_orders(day)
        items = data.items[data.items["order_id"].isin(orders["order_id"])]
        payments = data.payments[data.payments["order_id"].isin(orders["order_id"])]

        people = orders["customer_id"].drop_duplicates()
        customers = pd.DataFrame(
            {
                "customer_id": people.to_numpy(),
                "email": pd.Series([None] * len(people), dtype="string"),  # Olist is anonymised
                "signup_date": self._first_purchase()
                .reindex(people)
                .dt.strftime("%Y-%m-%d")
                .to_numpy(),
                "country": "BR",
            }
        )

        prices = items.groupby("product_id")["price_centavos"].min()
        catalog = data.products.set_index("product_id")
        products = pd.DataFrame(
            {
                "product_id": prices.index.to_numpy(dtype="int64"),
                "name": catalog["name"].reindex(prices.index).to_numpy(),
                "category": catalog["category"].reindex(prices.index).to_numpy(),
                "price_minor": prices.to_numpy(dtype="int64"),
                "currency": "BRL",
            }
        )
        return {
            "customers": customers,
            "products": products,
            "orders": pd.DataFrame(
                {
                    "order_id": orders["order_id"].to_numpy(),
                    "customer_id": orders["customer_id"].to_numpy(),
                    "order_ts": orders["order_ts"].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(),
                    "status": orders["status"].to_numpy(),
                    "currency": "BRL",
                    "olist_order_id": orders["olist_order_id"].to_numpy(),
                }
            ),
            "order_items": pd.DataFrame(
                {
                    "order_id": items["order_id"].to_numpy(),
                    "line_no": items["line_no"].to_numpy(),
                    "product_id": items["product_id"].to_numpy(),
                    "quantity": np.ones(len(items), dtype="int64"),  # one Olist row = one unit
                    "unit_price_krw": items["price_centavos"].to_numpy() * KRW_PER_CENTAVO,
                }
            ),
            "payments": pd.DataFrame(
                {
                    "payment_id": payments["payment_id"].to_numpy(),
                    "order_id": payments["order_id"].to_numpy(),
                    "amount": payments["amount"].to_numpy(),
                    "currency": "BRL",
                    "method": payments["method"].to_numpy(),
                }
            ),
        }

    def _first_purchase(self) -> pd.Series:
        """Each person's first purchase day (pipeline timezone) in the files: their cohort."""
        if self._first is None:
            self._first = self._midnight.groupby(self.data.orders["customer_id"]).min()
        return self._first

    def expected_day(self, day: date) -> ExpectedDay:
        """The truth of ``day`` counted straight from the files (not through the transform):
        orders, order lines, revenue (item prices) and the order-id checksum."""
        self.check_days([day])
        orders = self._day_orders(day)
        items = self.data.items[self.data.items["order_id"].isin(orders["order_id"])]
        revenue = int(items["price_centavos"].sum()) * KRW_PER_CENTAVO
        return ExpectedDay(
            day=day,
            orders=len(orders),
            items=len(items),
            revenue_krw=revenue,
            order_checksum=order_checksum(orders["order_id"].tolist(), revenue),
            rejected_orders=0,
        )

    def revenue_centavos(self, day: date) -> int:
        """Item revenue of ``day`` in BRL centavos, summed from the files' ``price`` column."""
        orders = self._day_orders(day)
        items = self.data.items[self.data.items["order_id"].isin(orders["order_id"])]
        return int(items["price_centavos"].sum())
