"""Stage 4 exercise: the e-commerce pipeline of the roadmap, on Airflow 3 and Prefect 3.

Requirements (요구사항):
  1. collect data every day at 02:00 (매일 오전 2시 데이터 수집)
  2. ETL pipeline: extract -> transform -> load (추출→변환→적재)
  3. data quality validation (데이터 품질 검증)
  4. Slack alert on failure (실패 시 Slack 알림)
  5. automated reprocessing (재처리 자동화)

Grade it with:  make check-stage4 IMPL=workspace/stage4

The grader calls only `create_etl_dag()` and the `etl_pipeline` flow, and configures them with
STAGE4_* environment variables; read them with `stage4_pipelines.config.get_settings()`:
  STAGE4_SOURCE_URL        upstream API: GET {url}/v1/days/YYYY-MM-DD/{customers,products,
                           orders,order_items,payments} -> JSON rows (it fails on purpose:
                           5xx, timeouts, truncated bodies; X-Row-Count tells the real size)
  STAGE4_WAREHOUSE_URL     duckdb:///file.duckdb or postgresql://...?schema=...
                           (tables: see stage4_pipelines.warehouse.TABLE_COLUMNS; one day = ds)
  STAGE4_REPORTS_DIR       write the quality report of day D to quality_D.json ({"passed": ...})
  STAGE4_SLACK_WEBHOOK_URL post the failure message there (name the task and the day)
  STAGE4_CHAOS_DIR         call stage4_pipelines.chaos.maybe_crash(dir, "load", day) after
                           writing fact_orders, and (dir, "extract", day) before extracting
  STAGE4_RETRY_DELAY_SECONDS  your retry_delay (the grader shortens it)
A day D is processed by the run whose data interval starts on D (the run of D+1, 02:00).

Airflow 3 traps: `from airflow import DAG` + `PythonOperator` still work, but `schedule_interval`
raises TypeError (use `schedule=`), SLAs are gone, and `start_date` should carry a timezone.
A run triggered by hand (the UI's Trigger button, `airflow dags trigger`) has no logical date
and so no data interval (`data_interval_start` is None): decide which day such a run processes.
With a DuckDB warehouse, overlapping runs meet its one-writer file lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from airflow.sdk import DAG
from prefect import flow, task


def create_etl_dag() -> DAG:
    default_args = {
        "owner": "data-team",
        "depends_on_past": False,
        "start_date": datetime(2024, 1, 1),  # TODO: a timezone-aware start (Asia/Seoul)
        "retries": 3,
        "retry_delay": timedelta(minutes=5),
        # TODO: "on_failure_callback": a Slack notifier
    }

    dag = DAG(
        "ecommerce_etl",
        default_args=default_args,
        description="Daily ETL pipeline",
        schedule="0 2 * * *",  # the roadmap's schedule_interval= is gone in Airflow 3
        catchup=False,
    )

    # TODO: define the tasks (extract >> transform >> quality gate >> load)
    return dag


# Prefect version


@task
def extract_data(source: str, day: str) -> pd.DataFrame:
    # TODO: extract data
    raise NotImplementedError("extract_data")


@task
def transform_data(df: pd.DataFrame) -> pd.DataFrame:
    # TODO: transform data
    raise NotImplementedError("transform_data")


@flow
def etl_pipeline(
    day: str | None = None, source: str | None = None, warehouse_url: str | None = None
) -> None:
    # TODO: compose the ETL flow (retries, a cache policy, a Slack failure hook)
    raise NotImplementedError("etl_pipeline")
