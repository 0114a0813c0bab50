from datetime import date

from stage4_pipelines.source import TABLES, generate_day


def test_generate_day_is_deterministic():
    a = generate_day(date(2024, 1, 2), orders=50, seed=3)
    b = generate_day(date(2024, 1, 2), orders=50, seed=3)
    assert a.expected == b.expected
    for table in TABLES:
        assert a.tables[table].equals(b.tables[table])


def test_generate_day_has_the_dirt_real_feeds_have():
    day = generate_day(date(2024, 1, 2), orders=400, seed=3)
    orders = day.tables["orders"]
    assert orders["order_id"].duplicated().any()  # re-sent rows
    assert (orders["currency"] != orders["currency"].str.strip().str.upper()).any()
    assert day.tables["customers"]["email"].isna().any()
    assert day.expected is not None and day.expected.rejected_orders > 0


def test_schema_drift_renames_item_columns_once_a_week():
    drift_day = next(date.fromordinal(o) for o in range(738_000, 738_007) if o % 7 == 0)
    items = generate_day(drift_day, orders=20).tables["order_items"]
    assert {"qty", "price_krw"} <= set(items.columns)
