"""The grader's upstream world: the truth of a served day, corrupted and republished days."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pandas as pd
import pytest

from stage4_grading.days import Corruption, corrupt, is_drift_day, late_orders, truth_of
from stage4_grading.upstream import GraderUpstream
from stage4_grading.warehouse_reader import Facts, check_day
from stage4_pipelines.source.faults import Fault
from stage4_pipelines.source.generator import generate_day


@pytest.mark.parametrize("offset", range(8))  # a week: the drift day included
def test_the_truth_of_a_served_day_is_the_generators_own(offset: int) -> None:
    day = date(2024, 1, 1) + timedelta(days=offset)
    served = generate_day(day, orders=60)
    truth, expected = truth_of(day, served.tables), served.expected
    assert expected is not None
    assert (truth.orders, truth.items, truth.revenue_krw, truth.checksum) == (
        expected.orders, expected.items, expected.revenue_krw, expected.order_checksum,
    )  # fmt: skip


def test_a_republished_day_has_more_orders_at_the_days_own_prices() -> None:
    day = date(2024, 1, 6)
    tables = generate_day(day, orders=60).tables
    before, after = truth_of(day, tables), truth_of(day, late_orders(tables, day, 5))
    assert after.orders > before.orders and after.revenue_krw > before.revenue_krw
    drift = date(2024, 1, 7)
    assert is_drift_day(drift)
    moved = late_orders(generate_day(drift, orders=60).tables, drift, 5)
    assert "qty" in moved["order_items"].columns and "quantity" not in moved["order_items"]


def test_corruptions_break_the_sla_in_one_way_each() -> None:
    tables = generate_day(date(2024, 1, 8), orders=60).tables
    negative = corrupt(tables, Corruption.NEGATIVE_QUANTITY, seed=1)
    assert (negative["order_items"]["quantity"] < 0).any()
    assert negative["orders"]["customer_id"].notna().all()
    nulls = corrupt(tables, Corruption.NULL_CUSTOMER, seed=1)
    assert nulls["orders"]["customer_id"].isna().any()
    assert (nulls["order_items"]["quantity"] > 0).all()


def test_the_upstream_serves_scripted_faults_then_the_day() -> None:
    day = date(2024, 1, 1)
    with GraderUpstream(orders_per_day=20) as up:
        up.injector.script(day, Fault.HTTP_5XX)
        url = f"{up.url}/v1/days/{day}/orders"
        assert httpx.get(url).status_code == 503
        ok = httpx.get(url)
        assert ok.status_code == 200 and len(ok.json()) == int(ok.headers["X-Row-Count"])
        up.corruptions[day] = Corruption.NULL_CUSTOMER
        assert any(row["customer_id"] is None for row in httpx.get(url).json())


def _facts_of(day: date, orders: int = 40) -> Facts:
    from stage4_pipelines.extract import RawDay
    from stage4_pipelines.transform import build_facts

    facts = build_facts(RawDay(day=day, tables=generate_day(day, orders=orders).tables)).tables
    fo = facts["fact_orders"][["order_id"]].assign(ds=day.isoformat())
    fi = facts["fact_order_items"][["order_id", "quantity", "unit_price_krw"]]
    return Facts(fo, fi.assign(ds=day.isoformat()))


def test_a_day_is_exact_once_and_not_when_loaded_twice() -> None:
    day = date(2024, 1, 7)  # a drift day
    truth = truth_of(day, generate_day(day, orders=40).tables)
    once = _facts_of(day)
    assert check_day(once, truth).matches
    twice = Facts(pd.concat([once.orders] * 2), pd.concat([once.items] * 2))
    check = check_day(twice, truth)
    assert not check.matches and "expected" in check.describe()
    assert check_day(twice.by_day()[day.isoformat()], truth, of_day=True).found == check.found
