from datetime import date

import pytest

from stage4_pipelines.errors import ConfigError, SimulatedCrash
from stage4_pipelines.extract import GeneratedSource, extract_day
from stage4_pipelines.transform import transform_day
from stage4_pipelines.warehouse import AUDIT_TABLE, connect_warehouse

DAY = date(2024, 7, 1)


def _tables(orders=40):
    return transform_day(extract_day(GeneratedSource(orders_per_day=orders), DAY)).tables


def _check_idempotent_and_atomic(url):
    warehouse = connect_warehouse(url)
    tables = _tables()
    warehouse.load_day(DAY, tables)
    first = warehouse.read_table("fact_orders", DAY)
    warehouse.load_day(DAY, tables)  # the same day again: same rows, nothing doubled
    again = warehouse.read_table("fact_orders", DAY)
    assert len(again) == len(first) == len(tables["fact_orders"])
    assert again["order_id"].tolist() == first["order_id"].tolist()
    assert warehouse.read_table(AUDIT_TABLE, DAY)["load_count"].tolist() == [2]

    def crash_after_facts(table):
        if table == "fact_orders":
            raise SimulatedCrash("killed mid-load")

    smaller = _tables(orders=10)
    with pytest.raises(SimulatedCrash):
        warehouse.load_day(DAY, smaller, between_tables=crash_after_facts)
    after_crash = warehouse.read_table("fact_orders", DAY)  # rolled back: the old day intact
    assert after_crash["order_id"].tolist() == first["order_id"].tolist()
    assert warehouse.loaded_days() == {DAY}
    warehouse.close()


def test_duckdb_loads_are_idempotent_and_atomic(tmp_path):
    _check_idempotent_and_atomic(f"duckdb:///{tmp_path / 'w.duckdb'}")


@pytest.mark.service
def test_postgres_loads_are_idempotent_and_atomic(pg_url):
    _check_idempotent_and_atomic(pg_url)


def test_bad_warehouse_urls_name_the_fix():
    with pytest.raises(ConfigError, match="duckdb:///"):
        connect_warehouse("mysql://x")
    with pytest.raises(ConfigError, match="schema"):
        connect_warehouse("postgresql://postgres@127.0.0.1/db?schema=Bad-Name")
