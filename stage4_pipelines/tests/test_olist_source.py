"""The Olist source on small files in Olist's exact layout (see ``olist_files.py``).

Real data differs from the generated feed in ways the pipeline must meet: hex ids, BRL
decimals, one row per unit, several payments per order, canceled/unavailable orders without
items, São Paulo timestamps, empty days. Every count and sum here is checked against figures
computed from the strings written to the files (Decimal), not from the source's own parsing.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from olist_files import (
    SAMPLE,
    Order,
    day_orders,
    hexid,
    paid_centavos,
    revenue_centavos,
    write_olist,
)
from typer.testing import CliRunner

from stage4_pipelines import steps
from stage4_pipelines.cli import EXIT_BAD_INPUT, EXIT_DAY_FAILED, app
from stage4_pipelines.config import DEFAULT_SLA_DIR, OLIST_SLA_DIR, PipelineSettings
from stage4_pipelines.engines import run_day_with_airflow, settings_env
from stage4_pipelines.errors import ConfigError, QualityGateError
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.extract import extract_day, source_from_url
from stage4_pipelines.quality import run_quality_gate
from stage4_pipelines.source.olist import KRW_PER_CENTAVO, OlistSource, olist_int_ids
from stage4_pipelines.source.olist_csv import _centavos
from stage4_pipelines.transform import build_facts
from stage4_pipelines.warehouse import connect_warehouse

BLACK_FRIDAY, NEXT_DAY = date(2017, 11, 24), date(2017, 11, 25)
SAO_PAULO = "America/Sao_Paulo"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_olist(tmp_path / "olist")


def _source(folder: Path, timezone: str = SAO_PAULO) -> OlistSource:
    source = source_from_url(f"olist://{folder}", timezone=timezone)
    assert isinstance(source, OlistSource)
    return source


def _ids(names: list[str]) -> set[int]:
    return {int(hexid(n)[:15], 16) for n in names}


def test_a_day_is_served_in_the_pipelines_raw_format(folder):
    raw = extract_day(_source(folder), BLACK_FRIDAY).tables
    sample = day_orders(BLACK_FRIDAY)
    assert set(raw["orders"]["order_id"]) == _ids([o.name for o in sample])
    assert set(raw["orders"]["status"]) == {"delivered", "canceled", "unavailable", "shipped"}
    assert set(raw["orders"]["currency"]) == {"BRL"}
    # one Olist row is one unit; price in centavos times the fixed rate
    items = raw["order_items"]
    assert len(items) == sum(len(o.items) for o in sample) == 5
    assert set(items["quantity"]) == {1}
    assert sorted(items["unit_price_krw"]) == sorted(
        round(float(p) * 100) * KRW_PER_CENTAVO for o in sample for _, p, _ in o.items
    )
    # o1 has two lines of the same product (order_item_id 1 and 2) and two payments
    o1 = int(hexid("o1")[:15], 16)
    assert sorted(items.loc[items["order_id"] == o1, "line_no"]) == [1, 2]
    assert sorted(raw["payments"].loc[raw["payments"]["order_id"] == o1, "amount"]) == [
        "124.38",
        "20.00",
    ]
    # customers are people (customer_unique_id), from Brazil, without e-mail
    assert set(raw["customers"]["customer_id"]) == _ids([o.person for o in sample])
    assert set(raw["customers"]["country"]) == {"BR"}
    assert raw["customers"]["email"].isna().all()
    # categories: English where translated, Portuguese where not, missing where missing
    categories = dict(zip(raw["products"]["name"], raw["products"]["category"], strict=True))
    assert categories[hexid("p1")] == "bed_bath_table"
    assert categories[hexid("p3")] == "pc_gamer"
    assert pd.isna(categories[hexid("p4")])


def test_the_warehouse_keys_give_olists_ids_back(folder):
    facts = build_facts(extract_day(_source(folder), BLACK_FRIDAY))
    keys = {format(int(i), "015x") for i in facts.tables["fact_orders"]["order_id"]}
    assert keys == {hexid(o.name)[:15] for o in day_orders(BLACK_FRIDAY)}
    assert list(olist_int_ids(pd.Series(["f" * 32]))) == [16**15 - 1]


def test_a_repeat_buyer_keeps_the_cohort_of_the_first_purchase(folder):
    facts = build_facts(extract_day(_source(folder), NEXT_DAY))
    cohort = facts.tables["dim_customer"].set_index("customer_id")["cohort_month"]
    u1, u7 = (int(hexid(p)[:15], 16) for p in ("u1", "u7"))
    assert cohort[u1] == "2017-11"  # first bought on 2017-11-24 under another customer_id
    assert cohort[u7] == "2017-10"  # first bought on 2017-10-02


def test_days_are_days_of_the_pipelines_timezone(folder):
    """The same files cut into Seoul days: São Paulo 23:59:59 on the 24th is the 25th there."""
    seoul = _source(folder, timezone="Asia/Seoul")
    late = int(hexid("o3")[:15], 16)  # 2017-11-24 23:59:59 São Paulo (UTC-2 in summer 2017)
    assert late in set(seoul.fetch_table(NEXT_DAY, "orders")["order_id"])
    assert late not in set(seoul.fetch_table(BLACK_FRIDAY, "orders")["order_id"])
    ts = seoul.fetch_table(NEXT_DAY, "orders").set_index("order_id").at[late, "order_ts"]
    assert ts == "2017-11-25T10:59:59"  # Seoul wall-clock time
    sao_paulo = _source(folder)
    assert late in set(sao_paulo.fetch_table(BLACK_FRIDAY, "orders")["order_id"])


def test_the_truth_is_counted_from_the_files(folder):
    source = _source(folder)
    for day in (BLACK_FRIDAY, NEXT_DAY):
        expected = source.expected_day(day)
        assert expected.orders == len(day_orders(day))
        assert expected.items == sum(len(o.items) for o in day_orders(day))
        assert source.revenue_centavos(day) == revenue_centavos(day)
        assert expected.revenue_krw == revenue_centavos(day) * KRW_PER_CENTAVO


def test_the_default_sla_fails_real_data_and_the_olist_sla_passes(folder, tmp_path):
    """What the README says: the generated feed's SLA rejects every real day."""
    facts = build_facts(extract_day(_source(folder), BLACK_FRIDAY))
    with pytest.raises(QualityGateError) as info:
        run_quality_gate(BLACK_FRIDAY, facts.tables, DEFAULT_SLA_DIR, tmp_path)
    failed = {rule.split(" (")[0] for rule in info.value.failed_rules}
    assert failed == {
        "fact_orders.currency:allowed_values",
        "fact_orders.status:allowed_values",
        "dim_customer.country:allowed_values",
    }
    report = run_quality_gate(BLACK_FRIDAY, facts.tables, OLIST_SLA_DIR, tmp_path)
    assert report.passed
    warnings = {(t.table, w.split(" (")[0]) for t in report.tables for w in t.warnings}
    assert ("fact_orders", "items:range") in warnings  # the unavailable order has no items


def test_an_olist_source_picks_the_olist_sla(monkeypatch, folder):
    monkeypatch.setenv("STAGE4_SOURCE_URL", f"olist://{folder}")
    assert PipelineSettings().sla_dir == OLIST_SLA_DIR
    monkeypatch.setenv("STAGE4_SLA_DIR", str(DEFAULT_SLA_DIR))
    assert PipelineSettings().sla_dir == DEFAULT_SLA_DIR  # an explicit setting wins
    monkeypatch.delenv("STAGE4_SOURCE_URL")
    monkeypatch.delenv("STAGE4_SLA_DIR")
    assert PipelineSettings().sla_dir == DEFAULT_SLA_DIR


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("STAGE4_SOURCE_URL", f"olist://{folder}")
    monkeypatch.setenv("STAGE4_TIMEZONE", SAO_PAULO)
    monkeypatch.setenv("STAGE4_WAREHOUSE_URL", f"duckdb:///{work / 'w.duckdb'}")
    monkeypatch.setenv("STAGE4_STAGING_DIR", str(work / "staging"))
    monkeypatch.setenv("STAGE4_REPORTS_DIR", str(work / "reports"))
    return work


def test_run_and_backfill_load_real_days_exactly_once(env, folder):
    """The CLI's core path on two days, then one of them again: exact and no duplicates."""
    runner = CliRunner()
    first = runner.invoke(app, ["backfill", "--start", "2017-11-24", "--end", "2017-11-25"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["run", "--day", "2017-11-24"])
    assert again.exit_code == 0, again.output

    source = _source(folder)
    warehouse = connect_warehouse(f"duckdb:///{env / 'w.duckdb'}")
    try:
        for day in (BLACK_FRIDAY, NEXT_DAY):
            check = reconcile_day(warehouse, source.expected_day(day))
            assert check.matches, check
            revenue = warehouse.read_table("mart_daily_revenue", day)
            assert int(revenue.at[0, "revenue_krw"]) == revenue_centavos(day) * KRW_PER_CENTAVO
            assert int(revenue.at[0, "paid_krw"]) == paid_centavos(day) * KRW_PER_CENTAVO
        audit = warehouse.read_table("etl_load_audit").set_index("ds")["load_count"]
        assert audit.to_dict() == {BLACK_FRIDAY: 2, NEXT_DAY: 1}
    finally:
        warehouse.close()
    with duckdb.connect(str(env / "w.duckdb"), read_only=True) as con:
        total, distinct = con.execute(
            "SELECT count(*), count(DISTINCT order_id) FROM fact_orders"
        ).fetchone()  # type: ignore[misc]
        lines = con.execute("SELECT count(*) FROM fact_order_items").fetchone()
    assert total == distinct == len(day_orders(BLACK_FRIDAY)) + len(day_orders(NEXT_DAY))
    assert lines == (sum(len(o.items) for o in SAMPLE if o.day in (BLACK_FRIDAY, NEXT_DAY)),)


def test_reconcile_says_when_the_warehouse_and_the_files_disagree(env):
    runner = CliRunner()
    assert (
        runner.invoke(app, ["backfill", "--start", "2017-11-24", "--end", "2017-11-25"]).exit_code
        == 0
    )
    result = runner.invoke(app, ["reconcile", "--start", "2017-11-24", "--end", "2017-11-25"])
    assert result.exit_code == 0, result.output
    assert "2/2 day(s) reconcile with the source" in result.output
    with duckdb.connect(str(env / "w.duckdb")) as con:  # lose one order line of the 25th
        con.execute("DELETE FROM fact_order_items WHERE ds = DATE '2017-11-25' AND line_no = 3")
    result = runner.invoke(app, ["reconcile", "--start", "2017-11-24", "--end", "2017-11-25"])
    assert result.exit_code == EXIT_DAY_FAILED
    assert "not matching: 2017-11-25" in result.output


def test_the_engines_steps_run_on_real_data(env):
    """The four functions the Airflow tasks and the Prefect tasks call, staged as Parquet."""
    day = NEXT_DAY.isoformat()
    raw_ref = steps.extract_data(PipelineSettings().source_url, day)
    facts_ref = steps.transform_data(raw_ref, day)
    assert steps.quality_gate(facts_ref, day)["passed"]
    result = steps.load_data(facts_ref, day, PipelineSettings().warehouse_url, run_id="staged")
    assert result["orders"] == len(day_orders(NEXT_DAY))
    assert result["revenue_krw"] == revenue_centavos(NEXT_DAY) * KRW_PER_CENTAVO


def test_a_daylight_saving_hour_that_never_happened_still_lands_on_a_day(tmp_path):
    """Brazil sprang forward at 00:00 on 2017-10-15: 00:30 did not exist in São Paulo."""
    gap = Order("dst", "u1", "delivered", "2017-10-15 00:30:00", items=[("p1", "10.00", "1.00")])
    folder = write_olist(tmp_path / "olist", [*SAMPLE, gap])
    seoul = _source(folder, timezone="Asia/Seoul")
    orders = seoul.fetch_table(date(2017, 10, 15), "orders").set_index("order_id")
    # moved forward to 01:00 (UTC-2) = 03:00 UTC = 12:00 in Seoul
    assert orders.at[int(hexid("dst")[:15], 16), "order_ts"] == "2017-10-15T12:00:00"


def test_an_empty_day_inside_the_span_loads_as_empty(env):
    """Real data has days without orders (Olist's late 2016): a warning, not a failure."""
    result = CliRunner().invoke(app, ["run", "--day", "2017-11-01"])
    assert result.exit_code == 0, result.output
    assert '"orders":0' in result.output.replace(" ", "")
    facts = build_facts(extract_day(_source(env.parent / "olist"), date(2017, 11, 1)))
    with pytest.raises(QualityGateError) as info:  # the generated feed's SLA calls it an error
        run_quality_gate(date(2017, 11, 1), facts.tables, DEFAULT_SLA_DIR, env)
    assert "fact_orders.dataset:row_count" in " ".join(info.value.failed_rules)


# --- bad folders: exit 2, one message naming the file and the fix, nothing written -------------


def _break(folder: Path, how: str) -> None:
    orders = folder / "olist_orders_dataset.csv"
    items = folder / "olist_order_items_dataset.csv"
    if how == "no-folder":
        shutil.rmtree(folder)
    elif how == "missing-file":
        (folder / "olist_order_payments_dataset.csv").unlink()
    elif how == "still-zipped":
        for path in folder.glob("*.csv"):
            path.unlink()
        (folder / "brazilian-ecommerce.zip").write_bytes(b"PK")
    elif how == "swapped-files":
        shutil.copy(items, orders)
    elif how == "semicolons":
        text = items.read_text().replace(",", ";")
        items.write_text(text)
    elif how == "renamed-column":
        orders.write_text(orders.read_text().replace('"order_status"', '"status"', 1))
    elif how == "latin-1":
        customers = folder / "olist_customers_dataset.csv"
        text = customers.read_text().replace("sao paulo", "são paulo")
        customers.write_bytes(text.encode("latin-1"))
    elif how == "comma-decimals":
        items.write_text(items.read_text().replace(",58.90,", ',"58,90",', 1))
    elif how == "other-timestamps":
        orders.write_text(orders.read_text().replace("2017-11-24 10:56:33", "24/11/2017 10:56"))
    elif how == "empty-file":
        orders.write_text("")
    elif how == "ragged-rows":
        items.write_text(items.read_text() + "a,b,c,d,e,f,g,h\n")
    elif how == "missing-purchase-time":
        orders.write_text(orders.read_text().replace('"2017-11-24 11:00:00"', '""', 1))
    elif how == "not-olist-ids":
        orders.write_text(orders.read_text().replace(hexid("o1"), "ORDER-1"))


BAD_FOLDERS: list[tuple[str, str, list[str]]] = [
    ("no-folder", "2017-11-24", ["does not exist", "olistbr/brazilian-ecommerce"]),
    ("missing-file", "2017-11-24", ["lacks olist_order_payments_dataset.csv", "Kaggle"]),
    ("still-zipped", "2017-11-24", ["lacks olist_orders_dataset.csv", "unzip brazilian-ecommerce.zip"]),
    ("swapped-files", "2017-11-24", ["olist_orders_dataset.csv", "layout of olist_order_items_dataset.csv"]),
    ("semicolons", "2017-11-24", ["olist_order_items_dataset.csv", "not comma-separated"]),
    ("renamed-column", "2017-11-24", ["olist_orders_dataset.csv", "lacks column(s) ['order_status']"]),
    ("latin-1", "2017-11-24", ["olist_customers_dataset.csv", "not utf-8 text", "?encoding=latin-1"]),
    ("comma-decimals", "2017-11-24", ["olist_order_items_dataset.csv", "column price", "line 3: '58,90'"]),
    ("other-timestamps", "2017-11-24", ["order_purchase_timestamp", "'24/11/2017 10:56'", "2017-10-02 10:56:33"]),
    ("empty-file", "2017-11-24", ["olist_orders_dataset.csv is empty"]),
    ("ragged-rows", "2017-11-24", ["olist_order_items_dataset.csv is not a well-formed CSV", "Expected 7 fields"]),
    ("missing-purchase-time", "2017-11-24", ["column order_purchase_timestamp", "not filled in", "line 4"]),
    ("not-olist-ids", "2017-11-24", ["column order_id", "'ORDER-1'", "32 hex digits"]),
    ("fine", "2019-01-01", ["day 2019-01-01 is outside the Olist data", "2017-10-02 to 2017-11-25"]),
]  # fmt: skip


@pytest.mark.parametrize(("how", "day", "words"), BAD_FOLDERS, ids=[c[0] for c in BAD_FOLDERS])
def test_a_bad_folder_is_exit_2_naming_the_file_and_the_fix(env, folder, how, day, words):
    _break(folder, how)
    result = CliRunner().invoke(app, ["run", "--day", day])
    output = " ".join(result.output.translate(str.maketrans(dict.fromkeys("│╭╮╰╯─", " "))).split())
    assert result.exit_code == EXIT_BAD_INPUT, output
    assert isinstance(result.exception, SystemExit), result.exception
    for word in words:
        assert word in output, f"{word!r} not in {output!r}"
    assert "Traceback" not in output
    assert list(env.iterdir()) == [], "a bad folder left files behind"


def test_a_backfill_reaching_past_the_data_is_refused_before_any_work(env):
    result = CliRunner().invoke(app, ["backfill", "--start", "2017-11-20", "--end", "2018-12-31"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "401 days (2017-11-26 ... 2018-12-31) are outside the Olist data" in result.output
    assert list(env.iterdir()) == []


def test_airflow_refuses_days_before_its_start_date_instead_of_loading_nothing(env):
    """Airflow runs a day before the DAG's start_date with no tasks, as a success."""
    result = CliRunner().invoke(app, ["run", "--day", "2017-11-24", "--engine", "airflow"])
    assert result.exit_code == EXIT_BAD_INPUT
    output = " ".join(result.output.split())
    assert "--day 2017-11-24 is before the Airflow DAG's start_date 2024-01-01" in output
    assert "set STAGE4_START_DATE=2017-11-24 or earlier" in output
    assert list(env.iterdir()) == []


def test_a_latin_1_folder_loads_when_the_url_says_so(folder):
    customers = folder / "olist_customers_dataset.csv"
    customers.write_bytes(customers.read_text().replace("sao paulo", "são paulo").encode("latin-1"))
    with pytest.raises(ConfigError, match="encoding=latin-1"):
        source_from_url(f"olist://{folder}")
    source = source_from_url(f"olist://{folder}?encoding=latin-1", timezone=SAO_PAULO)
    assert len(source.fetch_table(BLACK_FRIDAY, "orders")) == 5


def test_a_changed_file_is_read_again(folder):
    """The parsed files are cached per process, keyed on each file's size and mtime."""
    assert len(_source(folder).fetch_table(NEXT_DAY, "orders")) == 3
    extra = Order("o9", "u9", "approved", "2017-11-25 08:00:00")
    write_olist(folder, [*SAMPLE, extra])
    assert len(_source(folder).fetch_table(NEXT_DAY, "orders")) == 4


def test_brl_amounts_become_exact_centavos():
    """No float on the way: every written form of a BRL amount gives its exact centavos."""
    written = ["58.90", "7.5", "120", "0.85", "0.00", "13664.08", " 3.05 ", "99999999999.99"]
    frame = pd.DataFrame({"price": written}, dtype=str)
    assert _centavos(Path("items.csv"), frame, "price").tolist() == [
        5890, 750, 12000, 85, 0, 1366408, 305, 9999999999999,
    ]  # fmt: skip


@pytest.mark.slow
def test_the_prefect_engine_loads_real_days_exactly(prefect_harness, env, folder):
    """The real engine (a temporary Prefect server): two days, one again, both reconcile."""
    from stage4_pipelines.prefect_flow import etl_backfill

    settings = PipelineSettings(retry_delay_seconds=0.05)
    with settings_env(settings):
        first = etl_backfill("2017-11-24", "2017-11-25")
        again = etl_backfill("2017-11-24", "2017-11-24")
    assert first == {"2017-11-24": "COMPLETED", "2017-11-25": "COMPLETED"}
    assert again == {"2017-11-24": "COMPLETED"}
    warehouse = connect_warehouse(settings.warehouse_url)
    try:
        source = _source(folder)
        for day in (BLACK_FRIDAY, NEXT_DAY):
            assert reconcile_day(warehouse, source.expected_day(day)).matches
        audit = warehouse.read_table("etl_load_audit").set_index("ds")["load_count"]
        assert audit.to_dict() == {BLACK_FRIDAY: 2, NEXT_DAY: 1}
    finally:
        warehouse.close()


@pytest.mark.slow
def test_the_airflow_engine_loads_a_real_day_exactly(airflow_db, env, folder):
    """``dag.test()`` on a day of 2017: the DAG must start before the data does.

    Seoul days, as the DAG file has: ``dag.test`` stores this DAG in the session's shared
    metadata database, and a DAG of another timezone there changes other tests' backfills.
    """
    from stage4_pipelines.airflow_dag import create_etl_dag

    too_late = PipelineSettings(retry_delay_seconds=0.1, timezone="Asia/Seoul")
    with pytest.raises(ConfigError, match="STAGE4_START_DATE=2017-11-24"):
        run_day_with_airflow(create_etl_dag(too_late), BLACK_FRIDAY, too_late)
    settings = too_late.model_copy(update={"start_date": date(2016, 9, 1)})
    assert run_day_with_airflow(create_etl_dag(settings), BLACK_FRIDAY, settings)
    warehouse = connect_warehouse(settings.warehouse_url)
    try:
        truth = _source(folder, timezone="Asia/Seoul").expected_day(BLACK_FRIDAY)
        assert truth.orders > 0
        assert reconcile_day(warehouse, truth).matches
    finally:
        warehouse.close()


def test_an_unknown_encoding_in_the_url_is_named(folder):
    with pytest.raises(ConfigError, match="encoding 'klingon' in STAGE4_SOURCE_URL is unknown"):
        source_from_url(f"olist://{folder}?encoding=klingon")


def test_the_url_names_the_folder_absolute_or_relative(folder, monkeypatch):
    monkeypatch.chdir(folder.parent)
    relative = source_from_url("olist:olist", timezone=SAO_PAULO)
    assert isinstance(relative, OlistSource) and relative.data.folder == folder.resolve()
    with pytest.raises(ConfigError, match="names no folder"):
        source_from_url("olist://")
