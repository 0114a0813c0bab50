"""Airflow 3 on Celery for real: 2 workers, Redis broker, PostgreSQL metadata/results/staging.

Run with ``make test-distributed-stage4`` (marker ``distributed``, not in ``make test``: about
15 minutes on the shared 2-core machine). The cluster is started with the same code as
``make start-celery-stage4``; runs are made with the ``airflow`` CLI; everything is counted in the
PostgreSQL warehouse and in Airflow's task instances.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from stage4_pipelines.chaos import arm_pause
from stage4_pipelines.cluster import procs
from stage4_pipelines.cluster.airflow_celery import AirflowCluster
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.source import UpstreamServer, generate_day
from stage4_pipelines.warehouse import PostgresWarehouse, connect_warehouse

pytestmark = [pytest.mark.distributed, pytest.mark.service]

ORDERS = 50
PG = "postgresql://postgres@127.0.0.1:5432"
WAREHOUSE_DB = "s4_dist"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowCluster]:
    """A fresh metadata database, 2 workers, and the settings every worker reads."""
    import psycopg

    tag = uuid.uuid4().hex[:8]
    procs.ensure_database(PG, WAREHOUSE_DB)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS s4_dist_airflow WITH (FORCE)")
    run_dir = tmp_path_factory.mktemp("celery")
    saved = dict(os.environ)
    with UpstreamServer(orders_per_day=ORDERS) as upstream:
        os.environ.update(
            {
                "STAGE4_SOURCE_URL": upstream.url,
                "STAGE4_WAREHOUSE_URL": f"{PG}/{WAREHOUSE_DB}?schema=wh_{tag}",
                "STAGE4_STAGING_URL": f"{PG}/{WAREHOUSE_DB}?schema=stg_{tag}",
                "STAGE4_REPORTS_DIR": str(run_dir / "reports"),
                "STAGE4_CHAOS_DIR": str(run_dir / "chaos"),
                "STAGE4_RETRY_DELAY_SECONDS": "2",
                "STAGE4_HEAL_LOOKBACK_DAYS": "0",
            }
        )
        c = AirflowCluster(
            run_dir=run_dir,
            database="s4_dist_airflow",
            redis_url="redis://127.0.0.1:6379/12",
            api_port=8795,
        )
        try:
            c.up(timeout_s=900)
            yield c
        finally:
            c.down()
            os.environ.clear()
            os.environ.update(saved)
            for schema in (f"wh_{tag}", f"stg_{tag}"):
                PostgresWarehouse(f"{PG}/{WAREHOUSE_DB}", schema=schema).drop_schema()


def _wait_runs(
    c: AirflowCluster, run_ids: set[str] | None = None, *, count: int = 0, timeout_s: float = 1200
) -> list[tuple[str, str]]:
    def done() -> bool:
        rows = c.sql("SELECT run_id, state FROM dag_run WHERE dag_id = 'ecommerce_etl'")
        mine = [r for r in rows if run_ids is None or r[0] in run_ids]
        return len(mine) >= count and all(r[1] in ("success", "failed") for r in mine)

    procs.wait_until(done, timeout_s=timeout_s, what="the DAG runs to finish")
    return [
        tuple(r) for r in c.sql("SELECT run_id, state FROM dag_run WHERE dag_id = 'ecommerce_etl'")
    ]


def _loaded(day: date) -> int:
    """How many times ``day`` was committed (the audit's load counter), 0 if never."""
    audit = connect_warehouse(os.environ["STAGE4_WAREHOUSE_URL"]).read_table("etl_load_audit")
    counts = {row.ds: int(row.load_count) for row in audit.itertuples()}
    return counts.get(day, 0)


def _exact(day: date) -> bool:
    warehouse = connect_warehouse(os.environ["STAGE4_WAREHOUSE_URL"])
    orders = warehouse.read_table("fact_orders", day)
    return bool(
        reconcile_day(warehouse, generate_day(day, orders=ORDERS).expected).matches
        and orders["order_id"].is_unique
    )


def _hosts(c: AirflowCluster, run_id: str) -> dict[str, str]:
    rows = c.sql(
        "SELECT task_id, hostname FROM task_instance WHERE run_id = %s AND state = 'success'",
        [run_id],
    )
    return {task: host for task, host in rows}


def test_every_path_loads_its_day_exactly_with_tasks_on_both_workers(cluster):
    c = cluster
    c.airflow("dags", "trigger", "ecommerce_etl", "--logical-date", "2024-01-03T17:00:00+00:00")
    c.airflow("dags", "unpause", "ecommerce_etl")  # the scheduler makes the latest 02:00 run
    c.airflow("dags", "trigger", "ecommerce_etl")  # no logical date: yesterday (Seoul)
    runs = _wait_runs(c, count=3)
    assert all(state == "success" for _, state in runs), runs
    yesterday = datetime.now(ZoneInfo("Asia/Seoul")).date() - timedelta(days=1)
    kinds = {run_id.split("__")[0] for run_id, _ in runs}
    assert kinds == {"manual", "scheduled"}
    assert _exact(date(2024, 1, 3)) and _loaded(date(2024, 1, 3)) == 1
    assert _exact(yesterday) and _loaded(yesterday) == 2  # the scheduled and the undated run
    spread = {run_id: set(_hosts(c, run_id).values()) for run_id, _ in runs}
    assert all(len(_hosts(c, r)) == 5 for r in spread)  # extract, transform, gate, load, heal
    assert any(len(hosts) >= 2 for hosts in spread.values()), spread  # one run, two workers
    assert {h.rsplit("-", 1)[-1] for hosts in spread.values() for h in hosts} == {
        "worker1",
        "worker2",
    }


def test_a_backfill_reruns_the_day_a_triggered_run_held(cluster):
    c = cluster
    before = {r[0] for r in c.sql("SELECT run_id FROM dag_run")}
    c.airflow(
        "backfill", "create", "--dag-id", "ecommerce_etl",
        "--from-date", "2024-01-02T02:00:00+09:00", "--to-date", "2024-01-05T02:00:00+09:00",
        "--reprocess-behavior", "completed", "--max-active-runs", "2",
    )  # fmt: skip
    runs = _wait_runs(c, count=5, timeout_s=1500)
    assert all(state == "success" for _, state in runs), runs
    assert len({r for r, _ in runs} - before) == 3  # Jan 1, 2, 4 new; Jan 3 re-ran its run
    for day in (date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)):
        assert _exact(day), day
    assert _loaded(date(2024, 1, 3)) == 2 and _loaded(date(2024, 1, 4)) == 1


def test_a_worker_killed_mid_load_loses_and_duplicates_nothing(cluster):
    c = cluster
    day = date(2024, 1, 10)
    chaos = Path(os.environ["STAGE4_CHAOS_DIR"])
    arm_pause(chaos, "load", day, seconds=600)  # fact_orders written, not committed
    c.airflow("dags", "unpause", "ecommerce_etl")  # already, unless this test runs alone
    c.airflow("dags", "trigger", "ecommerce_etl", "--logical-date", "2024-01-10T17:00:00+00:00")
    ((run_id,),) = c.sql(
        "SELECT run_id FROM dag_run WHERE logical_date = %s", ["2024-01-10T17:00:00+00:00"]
    )
    marker = chaos / f"paused-load-{day}.json"
    procs.wait_until(marker.exists, timeout_s=900, what="the load to pause")
    paused = json.loads(marker.read_text())
    victim = paused["worker"]
    pid = procs.pid_of(c.run_dir.resolve(), victim)
    assert pid is not None
    # the host dies: the worker, its pool, and the task process mid-transaction
    for group in {pid, paused["pgid"]}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    killed_at = time.monotonic()
    runs = dict(_wait_runs(c, {run_id}, count=1, timeout_s=1200))
    assert runs[run_id] == "success", f"after {time.monotonic() - killed_at:.0f} s"
    ((try_number, host),) = c.sql(
        "SELECT try_number, hostname FROM task_instance WHERE run_id = %s AND task_id = 'load'",
        [run_id],
    )
    assert try_number >= 2 and not host.endswith(victim)  # retried, by the other worker
    assert _exact(day) and _loaded(day) == 1  # the killed attempt never committed
