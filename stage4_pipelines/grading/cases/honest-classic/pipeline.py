"""Daily e-commerce ETL (stage 4).

Airflow: a classic DAG with PythonOperators. Its timetable has data intervals, so the run
that fires on Jan 2 at 02:00 (Seoul) covers [Jan 1 02:00, Jan 2 02:00) and processes Jan 1.
Prefect: the same steps in a flow that is retried as a whole.
The load upserts by primary key, so loading a day twice leaves it once.
"""

import os
import pickle
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import requests
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from airflow.timetables.interval import CronDataIntervalTimetable
from prefect import flow, task
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
TABLES = ("customers", "products", "orders", "order_items", "payments")


# ---------------------------------------------------------------- steps


def extract_data(source, day):
    tables = {}
    for name in TABLES:
        resp = requests.get(f"{source}/v1/days/{day}/{name}", timeout=30)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {name} for {day}: HTTP {resp.status_code}")
        rows = resp.json()
        if "X-Row-Count" in resp.headers and int(resp.headers["X-Row-Count"]) != len(rows):
            raise RuntimeError(f"GET {name} for {day}: incomplete ({len(rows)} rows)")
        tables[name] = pd.DataFrame(rows)
    return tables


def transform_data(raw, day):
    orders = raw["orders"].copy()
    orders["currency"] = orders["currency"].str.strip().str.upper()
    orders = orders[orders["currency"].isin(["KRW", "USD", "EUR"])]
    orders = orders.drop_duplicates(subset=["order_id"])

    items = raw["order_items"].copy()
    if "qty" in items.columns:
        items = items.rename(columns={"qty": "quantity"})
    if "price_krw" in items.columns:
        items = items.rename(columns={"price_krw": "unit_price_krw"})
    items["quantity"] = items["quantity"].astype(int)
    items = items.drop_duplicates(subset=["order_id", "line_no"])
    items = items.merge(orders[["order_id"]], on="order_id")
    items["ds"] = day

    orders = orders[["order_id", "customer_id", "order_ts", "status", "currency"]].copy()
    orders["ds"] = day
    return {"orders": orders, "items": items[["ds", "order_id", "line_no", "product_id", "quantity", "unit_price_krw"]]}


CHECKS = {
    "orders without a customer": "SELECT count(*) FROM orders WHERE customer_id IS NULL",
    "quantity outside 1..100": "SELECT count(*) FROM items WHERE quantity < 1 OR quantity > 100",
    "negative prices": "SELECT count(*) FROM items WHERE unit_price_krw < 0",
    "repeated order ids": "SELECT count(*) - count(DISTINCT order_id) FROM orders",
    "empty day": "SELECT CASE WHEN count(*) = 0 THEN 1 ELSE 0 END FROM orders",
}


def quality_gate(facts, day):
    con = duckdb.connect()
    con.register("orders", facts["orders"])
    con.register("items", facts["items"])
    failed = {name: con.execute(sql).fetchone()[0] for name, sql in CHECKS.items()}
    con.close()
    failed = {name: n for name, n in failed.items() if n}
    if failed:
        raise ValueError(f"data quality SLA failed for {day}: {failed}")


DDL = [
    """CREATE TABLE IF NOT EXISTS fact_orders (
        ds DATE, order_id BIGINT, customer_id BIGINT, order_ts TIMESTAMP, status TEXT,
        currency TEXT, PRIMARY KEY (ds, order_id))""",
    """CREATE TABLE IF NOT EXISTS fact_order_items (
        ds DATE, order_id BIGINT, line_no INTEGER, product_id BIGINT, quantity INTEGER,
        unit_price_krw BIGINT, PRIMARY KEY (ds, order_id, line_no))""",
    """CREATE TABLE IF NOT EXISTS mart_revenue_by_day (
        ds DATE PRIMARY KEY, orders BIGINT, revenue_krw BIGINT)""",
]


def load_data(facts, day, warehouse_url):
    db = duckdb.connect(warehouse_url.replace("duckdb:///", "", 1))
    try:
        for ddl in DDL:
            db.execute(ddl)
        db.begin()
        db.register("new_orders", facts["orders"])
        db.register("new_items", facts["items"])
        db.execute("INSERT OR REPLACE INTO fact_orders SELECT ds, order_id, customer_id, order_ts, status, currency FROM new_orders")
        db.execute("INSERT OR REPLACE INTO fact_order_items SELECT * FROM new_items")
        db.execute(
            """INSERT OR REPLACE INTO mart_revenue_by_day
               SELECT ds, count(DISTINCT order_id), sum(quantity * unit_price_krw)
               FROM fact_order_items WHERE ds = ? GROUP BY ds""",
            [day],
        )
        db.commit()
    finally:
        db.close()


# ---------------------------------------------------------------- Prefect


def slack(message):
    url = os.environ.get("STAGE4_SLACK_WEBHOOK_URL")
    if url:
        try:
            requests.post(url, json={"text": message}, timeout=10)
        except requests.RequestException as error:
            print("Slack alert failed:", error)


def on_flow_failure(flow, flow_run, state):
    slack(f"Prefect flow {flow.name} failed for {flow_run.parameters.get('day')}: {state.message}")


@flow(retries=3, retry_delay_seconds=120, on_failure=[on_flow_failure])
def etl_pipeline(day=None):
    if day is None:
        day = (datetime.now(SEOUL) - timedelta(days=1)).strftime("%Y-%m-%d")
    raw = task(extract_data)(os.environ["STAGE4_SOURCE_URL"], day)
    facts = task(transform_data)(raw, day)
    task(quality_gate)(facts, day)
    task(load_data)(facts, day, os.environ["STAGE4_WAREHOUSE_URL"])


# ---------------------------------------------------------------- Airflow

STAGING = Path(os.environ.get("STAGE4_STAGING_DIR", "/tmp/etl-staging"))


def _save(obj, day, name):
    path = STAGING / day / f"{name}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(obj))
    return str(path)


def _read(path):
    return pickle.loads(Path(path).read_bytes())


def run_extract(day):
    return _save(extract_data(os.environ["STAGE4_SOURCE_URL"], day), day, "raw")


def run_transform(day, ti):
    return _save(transform_data(_read(ti.xcom_pull(task_ids="extract")), day), day, "facts")


def run_quality(day, ti):
    quality_gate(_read(ti.xcom_pull(task_ids="transform")), day)


def run_load(day, ti):
    load_data(_read(ti.xcom_pull(task_ids="transform")), day, os.environ["STAGE4_WAREHOUSE_URL"])


def notify_failure(context):
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    day = context["data_interval_start"].in_timezone("Asia/Seoul").strftime("%Y-%m-%d")
    text = f"ETL task {context['ti'].task_id} failed for {day}: {context.get('exception')}"
    try:
        SlackWebhookHook(slack_webhook_conn_id="slack_webhook").send(text=text)
    except Exception as error:
        print("Slack alert failed:", error)


def create_etl_dag():
    default_args = {
        "owner": "data-team",
        "depends_on_past": False,
        "retries": 3,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": notify_failure,
    }
    dag = DAG(
        "ecommerce_etl",
        default_args=default_args,
        description="Daily ETL pipeline",
        schedule=CronDataIntervalTimetable("0 2 * * *", timezone="Asia/Seoul"),
        start_date=datetime(2024, 1, 1, tzinfo=SEOUL),
        catchup=False,
    )
    day = "{{ data_interval_start.in_timezone('Asia/Seoul').strftime('%Y-%m-%d') }}"
    extract = PythonOperator(task_id="extract", python_callable=run_extract, op_kwargs={"day": day}, dag=dag)
    transform = PythonOperator(task_id="transform", python_callable=run_transform, op_kwargs={"day": day}, dag=dag)
    quality = PythonOperator(task_id="quality", python_callable=run_quality, op_kwargs={"day": day}, retries=0, dag=dag)
    load = PythonOperator(task_id="load", python_callable=run_load, op_kwargs={"day": day}, dag=dag)
    extract >> transform >> quality >> load
    return dag
