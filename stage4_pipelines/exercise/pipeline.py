"""Stage 4 exercise: the e-commerce pipeline of the roadmap, on Airflow 3 and Prefect 3.

Requirements (요구사항):
  1. collect data every day at 02:00 (매일 오전 2시 데이터 수집)
  2. ETL pipeline: extract -> transform -> load (추출→변환→적재)
  3. data quality validation (데이터 품질 검증)
  4. Slack alert on failure (실패 시 Slack 알림)
  5. automated reprocessing (재처리 자동화)

Grade it with:  make check-stage4 IMPL=workspace/stage4     (keep everything in this file)

WHAT THE GRADER CALLS (fixed shapes)
  create_etl_dag() -> DAG            Airflow 3 (airflow.sdk); dag_id is yours
  etl_pipeline(day: str | None = None, ...)   a Prefect @flow; the grader passes day="2024-01-01"
  extract_data(source: str, day: str) -> RAW
  transform_data(raw: RAW, day: str) -> FACTS
  quality_gate(facts: FACTS, day: str)        raises when the day breaches the SLA
  load_data(facts: FACTS, day: str, warehouse_url: str)
The four steps may be plain functions or Prefect tasks; RAW and FACTS are yours (DataFrames,
a dict of them, the path of a staging folder...). BOTH engines must run these four functions
(the DAG's tasks call them, e.g. extract_data.fn(...) for a Prefect task; the flow calls them),
passing each result straight to the next step. The grader runs your DAG and your flow for real
(dag.test(), a temporary Prefect server) and also calls the four steps itself for thousands of
simulated days, retried the way your engine retried them — so the retries you configure count.
Days are ISO strings. Steps get the day as an argument: never "today", never the engine context.

WHICH DAY: the run that fires at D+1 02:00 Asia/Seoul processes day D (전날 데이터 처리).
  The grader triggers Airflow with logical_date = D+1 02:00 Asia/Seoul and calls the flow with
  day="D". With schedule="0 2 * * *" (Airflow 3: a CronTriggerTimetable) logical_date and
  data_interval_start are both the firing time: convert to Asia/Seoul, then take the day before.

SETTINGS: environment variables, read when a step runs:
  STAGE4_SOURCE_URL        the upstream API (see below)
  STAGE4_WAREHOUSE_URL     duckdb:////absolute/path.duckdb (the grader's default), or
                           postgresql://user@host:5432/db with --opt warehouse_url=...
  STAGE4_SLACK_WEBHOOK_URL POST {"text": ...} there on failure, naming the failed day (YYYY-MM-DD);
                           in Airflow you may use the connection "slack_webhook" instead
                           (AIRFLOW_CONN_SLACK_WEBHOOK holds the same URL). Never hard-code it.
  STAGE4_STAGING_DIR       scratch space for files handed between tasks (optional)

THE UPSTREAM: GET {STAGE4_SOURCE_URL}/v1/days/YYYY-MM-DD/{customers,products,orders,
  order_items,payments} -> a JSON list of rows; header X-Row-Count = the real row count.
  It fails like real feeds do: 5xx answers, bodies cut in the middle (retry those), a day that
  is down for hours (fail the run, alert, and load it when it is back). The data is dirty:
  re-sent duplicate rows (keys: order_id; order_id+line_no), currency codes in any spelling
  (' usd', 'Krw'), orders in an unknown currency (XXX: drop them and their lines), and once a
  week the order_items columns are renamed (quantity -> qty as text, unit_price_krw -> price_krw).

THE WAREHOUSE: the grader counts these two tables (other tables and columns are yours):
  fact_orders(ds, order_id, ...)                               one row per valid order
  fact_order_items(ds, order_id, quantity, unit_price_krw, ...) one row per line of those orders
  ds = the day processed (a DATE or 'YYYY-MM-DD'). Revenue = sum(quantity * unit_price_krw).
  Loading a day must leave it exactly once however often it runs: a retry after the load
  committed, a backfill, a re-run after the upstream republished the day with late orders.

THE QUALITY SLA (품질 SLA): stop the day before anything of it reaches fact_/mart_/dim_ tables
  (landing tables named raw_*/stg_* may hold it) when an order has no customer_id, a line's
  quantity is outside 1..100, a price is negative, order ids repeat, or the day is empty.
  Null e-mails and categories, XXX orders and duplicates are normal dirt, not breaches.

Airflow 3 traps: `schedule_interval=` raises TypeError (use `schedule=`); SLAs are gone; a naive
start_date means UTC (02:00 UTC is 11:00 in Seoul); catchup=True from an old start_date starts
every missed day at once. The grader keeps your number of retries but shortens their waits.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pandas as pd
import pendulum
from airflow.sdk import dag
from airflow.sdk import task as airflow_task
from prefect import flow, task

TIMEZONE = "Asia/Seoul"


def send_slack(text: str) -> None:
    # TODO: POST {"text": text} to STAGE4_SLACK_WEBHOOK_URL (an alert must not raise)
    raise NotImplementedError("send_slack")


# --- the four steps -------------------------------------------------------------------------


@task(retries=3, retry_delay_seconds=300)
def extract_data(source: str, day: str) -> dict[str, pd.DataFrame]:
    # TODO: download the five tables of `day`; a 5xx or a truncated body must raise
    raise NotImplementedError("extract_data")


@task(retries=3, retry_delay_seconds=300)
def transform_data(raw: dict[str, pd.DataFrame], day: str) -> dict[str, pd.DataFrame]:
    # TODO: dedupe, clean currencies, drop XXX orders, undo the weekly renames -> fact tables
    raise NotImplementedError("transform_data")


@task
def quality_gate(facts: dict[str, pd.DataFrame], day: str) -> None:
    # TODO: raise when the day breaches the SLA (see above)
    raise NotImplementedError("quality_gate")


@task(retries=3, retry_delay_seconds=300)
def load_data(facts: dict[str, pd.DataFrame], day: str, warehouse_url: str) -> None:
    # TODO: replace the day in fact_orders / fact_order_items (and your marts), idempotently
    raise NotImplementedError("load_data")


# --- Prefect --------------------------------------------------------------------------------


@flow(name="ecommerce-etl")  # TODO: an on_failure hook that alerts Slack
def etl_pipeline(day: str | None = None) -> None:
    day = day or pendulum.now(TIMEZONE).subtract(days=1).to_date_string()
    # TODO: extract -> transform -> quality gate -> load, with STAGE4_SOURCE_URL/WAREHOUSE_URL
    raise NotImplementedError("etl_pipeline")


# --- Airflow --------------------------------------------------------------------------------


def day_of(context) -> str:
    """The run that fires at D+1 02:00 (Seoul) processes day D."""
    # TODO: from context["logical_date"] (or context["dag_run"].run_after for a manual run)
    raise NotImplementedError("day_of")


def create_etl_dag():
    @dag(
        dag_id="ecommerce_etl",
        description="Daily ETL pipeline",
        schedule="0 2 * * *",  # the roadmap's schedule_interval= is gone in Airflow 3
        start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
        catchup=False,
        default_args={
            "owner": "data-team",
            "retries": 3,
            "retry_delay": timedelta(minutes=5),
            # TODO: "on_failure_callback": a function of the task context that alerts Slack
        },
    )
    def ecommerce_etl():
        @airflow_task
        def extract(**context):
            return extract_data.fn(os.environ["STAGE4_SOURCE_URL"], day_of(context))

        # TODO: transform, quality gate (no retries: the same data fails again), load:
        #       extract >> transform >> quality gate >> load. XCom should carry small values
        #       (a staging path), not DataFrames.
        extract()

    return ecommerce_etl()
