"""E-commerce ETL for stage 4: one set of steps, run by Airflow 3 (TaskFlow) and Prefect 3.

The 02:00 (Asia/Seoul) run of day D+1 processes day D. Steps hand each other folders of
Parquet files. The load replaces the day in one transaction, so re-running a day is safe.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pendulum
from airflow.sdk import dag
from airflow.sdk import task as airflow_task
from prefect import flow, task

TABLES = ["customers", "products", "orders", "order_items", "payments"]
CURRENCIES = ["KRW", "USD", "EUR"]
TIMEZONE = "Asia/Seoul"


def staging_dir() -> Path:
    return Path(os.environ.get("STAGE4_STAGING_DIR", "/tmp/stage4-staging"))


def duckdb_path(warehouse_url: str) -> str:
    if not warehouse_url.startswith("duckdb:///"):
        raise ValueError(f"only duckdb:/// warehouses are supported, got {warehouse_url}")
    return warehouse_url.removeprefix("duckdb:///")


def send_slack(text: str) -> None:
    url = os.environ.get("STAGE4_SLACK_WEBHOOK_URL")
    if not url:
        print("no STAGE4_SLACK_WEBHOOK_URL, alert not sent:", text)
        return
    try:
        httpx.post(url, json={"text": text}, timeout=10)
    except httpx.HTTPError as exc:
        print("could not send the Slack alert:", exc)


# --- the four steps -------------------------------------------------------------------------


@task(retries=3, retry_delay_seconds=300)
def extract_data(source: str, day: str) -> str:
    """Download the day's tables from the upstream API into a staging folder."""
    folder = staging_dir() / day / f"raw-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    with httpx.Client(timeout=30) as client:
        for table in TABLES:
            response = client.get(f"{source}/v1/days/{day}/{table}")
            response.raise_for_status()
            rows = response.json()  # a truncated body is not valid JSON: raises, then retried
            expected = int(response.headers.get("X-Row-Count", len(rows)))
            if len(rows) != expected:
                raise ValueError(f"{table} of {day}: got {len(rows)} rows, expected {expected}")
            pd.DataFrame(rows).to_parquet(folder / f"{table}.parquet")
    return str(folder)


@task(retries=3, retry_delay_seconds=300)
def transform_data(raw_dir: str, day: str) -> str:
    """Dedupe, clean currencies, undo the weekly column renames; build the fact tables."""
    raw = {t: pd.read_parquet(Path(raw_dir) / f"{t}.parquet") for t in TABLES}
    orders = raw["orders"].drop_duplicates("order_id").copy()
    orders["currency"] = orders["currency"].str.strip().str.upper()
    orders = orders[orders["currency"].isin(CURRENCIES)]

    items = raw["order_items"].rename(columns={"qty": "quantity", "price_krw": "unit_price_krw"})
    items = items.drop_duplicates(["order_id", "line_no"])
    items = items[items["order_id"].isin(orders["order_id"])].copy()
    items["quantity"] = pd.to_numeric(items["quantity"]).astype("int64")
    items["unit_price_krw"] = pd.to_numeric(items["unit_price_krw"]).astype("int64")
    items["line_total_krw"] = items["quantity"] * items["unit_price_krw"]

    ds = pd.Timestamp(day).date()
    totals = items.groupby("order_id")["line_total_krw"].sum()
    fact_orders = pd.DataFrame(
        {
            "ds": ds,
            "order_id": orders["order_id"].astype("int64"),
            "customer_id": pd.to_numeric(orders["customer_id"]).astype("Int64"),
            "status": orders["status"],
            "currency": orders["currency"],
            "amount_krw": orders["order_id"].map(totals).fillna(0).astype("int64"),
        }
    )
    fact_items = items[["order_id", "line_no", "product_id", "quantity", "unit_price_krw", "line_total_krw"]]
    fact_items = fact_items.assign(ds=ds)

    folder = staging_dir() / day / f"facts-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    fact_orders.to_parquet(folder / "fact_orders.parquet")
    fact_items.to_parquet(folder / "fact_order_items.parquet")
    return str(folder)


@task
def quality_gate(facts_dir: str, day: str) -> dict:
    """The SLA: stop the day before anything is loaded if it is broken."""
    orders = pd.read_parquet(Path(facts_dir) / "fact_orders.parquet")
    items = pd.read_parquet(Path(facts_dir) / "fact_order_items.parquet")
    problems = []
    if orders.empty:
        problems.append("no orders at all")
    if orders["customer_id"].isna().any():
        problems.append(f"{int(orders['customer_id'].isna().sum())} orders without a customer")
    if orders["order_id"].duplicated().any():
        problems.append("duplicated order ids")
    bad_quantity = ~items["quantity"].between(1, 100)
    if bad_quantity.any():
        problems.append(f"{int(bad_quantity.sum())} lines with a quantity outside 1..100")
    if (items["unit_price_krw"] < 0).any():
        problems.append("negative prices")
    if problems:
        raise ValueError(f"quality SLA breached on {day}: {'; '.join(problems)}")
    return {"day": day, "orders": len(orders), "lines": len(items)}


@task(retries=3, retry_delay_seconds=300)
def load_data(facts_dir: str, day: str, warehouse_url: str) -> int:
    """Replace the day in the warehouse (facts and the daily mart) in one transaction."""
    orders = pd.read_parquet(Path(facts_dir) / "fact_orders.parquet")
    items = pd.read_parquet(Path(facts_dir) / "fact_order_items.parquet")
    mart = pd.DataFrame(
        {
            "ds": [pd.Timestamp(day).date()],
            "orders": [len(orders)],
            "revenue_krw": [int(items["line_total_krw"].sum())],
        }
    )
    con = duckdb.connect(duckdb_path(warehouse_url))
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS fact_orders (ds DATE, order_id BIGINT, customer_id BIGINT,"
            " status VARCHAR, currency VARCHAR, amount_krw BIGINT)"
        )
        con.execute(
            "CREATE TABLE IF NOT EXISTS fact_order_items (order_id BIGINT, line_no BIGINT,"
            " product_id BIGINT, quantity BIGINT, unit_price_krw BIGINT, line_total_krw BIGINT, ds DATE)"
        )
        con.execute("CREATE TABLE IF NOT EXISTS mart_daily_revenue (ds DATE, orders BIGINT, revenue_krw BIGINT)")
        con.execute("BEGIN TRANSACTION")
        for table, frame in [("fact_orders", orders), ("fact_order_items", items), ("mart_daily_revenue", mart)]:
            con.execute(f"DELETE FROM {table} WHERE ds = ?", [day])
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            con.unregister("incoming")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return len(orders)


# --- Prefect --------------------------------------------------------------------------------


def alert_prefect(flow, flow_run, state) -> None:
    day = flow_run.parameters.get("day")
    send_slack(f":red_circle: ecommerce-etl (Prefect) failed for day {day}: {state.message}")


@flow(name="ecommerce-etl", on_failure=[alert_prefect])
def etl_pipeline(day: str | None = None, source: str | None = None, warehouse_url: str | None = None):
    day = day or pendulum.now(TIMEZONE).subtract(days=1).to_date_string()
    source = source or os.environ["STAGE4_SOURCE_URL"]
    warehouse_url = warehouse_url or os.environ["STAGE4_WAREHOUSE_URL"]
    raw = extract_data(source, day)
    facts = transform_data(raw, day)
    quality_gate(facts, day)
    return load_data(facts, day, warehouse_url)


# --- Airflow --------------------------------------------------------------------------------


def day_of(context) -> str:
    """The run that fires at D+1 02:00 (Seoul) processes day D."""
    fired = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(fired).in_timezone(TIMEZONE).subtract(days=1).to_date_string()


def alert_airflow(context) -> None:
    ti = context["ti"]
    send_slack(
        f":red_circle: ecommerce_etl failed: task {ti.task_id}, day {day_of(context)}: "
        f"{context.get('exception')}"
    )


def create_etl_dag():
    @dag(
        dag_id="ecommerce_etl",
        description="Daily ETL pipeline",
        schedule="0 2 * * *",
        start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
        catchup=False,
        default_args={
            "owner": "data-team",
            "retries": 3,
            "retry_delay": timedelta(minutes=5),
            "on_failure_callback": alert_airflow,
        },
        tags=["stage4"],
    )
    def ecommerce_etl():
        @airflow_task
        def extract(**context) -> str:
            return extract_data.fn(os.environ["STAGE4_SOURCE_URL"], day_of(context))

        @airflow_task
        def transform(raw_dir: str, **context) -> str:
            return transform_data.fn(raw_dir, day_of(context))

        @airflow_task(retries=0)
        def check(facts_dir: str, **context) -> None:
            quality_gate.fn(facts_dir, day_of(context))

        @airflow_task
        def load(facts_dir: str, **context) -> None:
            load_data.fn(facts_dir, day_of(context), os.environ["STAGE4_WAREHOUSE_URL"])

        facts = transform(extract())
        check(facts) >> load(facts)

    return ecommerce_etl()
