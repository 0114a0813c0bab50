from datetime import date, timedelta

import pandas as pd
import pytest

from stage4_pipelines.errors import SchemaDriftError
from stage4_pipelines.extract import GeneratedSource, RawDay, extract_day
from stage4_pipelines.source import generate_day
from stage4_pipelines.source.generator import order_checksum
from stage4_pipelines.transform import MART_TABLES, build_facts, build_marts


@pytest.mark.parametrize("offset", range(8))  # 8 consecutive days include a schema-drift day
def test_facts_match_the_source_truth(offset):
    day = date(2024, 5, 1) + timedelta(days=offset)
    facts = build_facts(extract_day(GeneratedSource(orders_per_day=120), day))
    truth = generate_day(day, orders=120).expected
    orders, items = facts.tables["fact_orders"], facts.tables["fact_order_items"]
    revenue = int(items["line_total_krw"].sum())
    assert (len(orders), len(items), revenue) == (truth.orders, truth.items, truth.revenue_krw)
    assert order_checksum(orders["order_id"].tolist(), revenue) == truth.order_checksum
    assert facts.rejected_orders == truth.rejected_orders


def test_currencies_are_conformed_and_unknown_ones_rejected():
    facts = build_facts(extract_day(GeneratedSource(orders_per_day=300), date(2024, 5, 2)))
    assert set(facts.tables["fact_orders"]["currency"]) <= {"KRW", "USD", "EUR"}
    assert facts.duplicates_dropped > 0


def test_marts_add_up_to_the_facts():
    full = build_marts(build_facts(extract_day(GeneratedSource(), date(2024, 5, 3))))
    revenue = full.tables["mart_daily_revenue"]["revenue_krw"].iloc[0]
    assert revenue == full.tables["fact_orders"]["amount_krw"].sum()
    assert full.tables["mart_orders_by_category"]["revenue_krw"].sum() == revenue
    assert full.tables["mart_customer_cohorts"]["orders"].sum() == len(full.tables["fact_orders"])
    assert set(MART_TABLES) <= set(full.tables)


def test_unknown_schema_drift_names_the_missing_column_and_the_fix():
    raw = extract_day(GeneratedSource(), date(2024, 5, 2))
    raw.tables["order_items"] = raw.tables["order_items"].rename(
        columns={"quantity": "amount_ordered"}
    )
    with pytest.raises(SchemaDriftError, match=r"quantity.*COLUMN_ALIASES"):
        build_facts(RawDay(day=raw.day, tables=raw.tables))


def test_build_facts_leaves_the_raw_frames_untouched():
    raw = extract_day(GeneratedSource(), date(2024, 5, 2))
    before = {k: v.copy() for k, v in raw.tables.items()}
    build_facts(raw)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, raw.tables[name])
