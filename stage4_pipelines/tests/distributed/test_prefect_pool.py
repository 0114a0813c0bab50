"""Prefect 3 on a process work pool for real: a server on PostgreSQL, 2 workers, shared staging.

Run with ``make test-distributed-stage4`` (marker ``distributed``, not in ``make test``). The
pool is started with the same code as ``make start-prefect-pool-stage4``; flow runs are created
through the server's API; which worker ran what comes from the server's
``prefect.worker.submitted-flow-run`` events, and every day is counted in the PostgreSQL
warehouse.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from stage4_pipelines.chaos import arm_pause
from stage4_pipelines.cluster import procs
from stage4_pipelines.cluster.prefect_pool import PrefectPool
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.source import UpstreamServer, generate_day
from stage4_pipelines.warehouse import PostgresWarehouse, connect_warehouse

pytestmark = [pytest.mark.distributed, pytest.mark.service]

ORDERS = 50
PG = "postgresql://postgres@127.0.0.1:5432"
WAREHOUSE_DB = "s4_dist"


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectPool]:
    """A fresh Prefect database, 2 workers, and the settings every worker reads."""
    import psycopg

    tag = uuid.uuid4().hex[:8]
    procs.ensure_database(PG, WAREHOUSE_DB)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS s4_dist_prefect WITH (FORCE)")
    run_dir = tmp_path_factory.mktemp("prefect-pool")
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
        p = PrefectPool(run_dir=run_dir, database="s4_dist_prefect", api_port=4211, scheduled=False)
        try:
            p.up(timeout_s=900)
            yield p
        finally:
            p.down()
            os.environ.clear()
            os.environ.update(saved)
            for schema in (f"wh_{tag}", f"stg_{tag}"):
                PostgresWarehouse(f"{PG}/{WAREHOUSE_DB}", schema=schema).drop_schema()


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


def test_a_day_and_a_backfill_run_on_both_workers_and_reconcile(pool):
    day = pool.submit_days([date(2024, 1, 3)])
    backfill = pool.submit_days(date(2024, 1, d) for d in range(1, 5))  # Jan 3 again
    runs = [*day.values(), *backfill.values()]
    states = pool.wait(runs, timeout_s=1800)
    assert set(states.values()) == {"COMPLETED"}, states
    for d in range(1, 5):
        assert _exact(date(2024, 1, d)), d
    assert _loaded(date(2024, 1, 3)) == 2  # the day and the backfill: replaced, not added
    assert all(_loaded(date(2024, 1, d)) == 1 for d in (1, 2, 4))
    workers = pool.submitted_by()
    assert all(workers[r] in (["worker1"], ["worker2"]) for r in runs), workers  # once each
    assert {workers[r][0] for r in runs} == {"worker1", "worker2"}, workers


def test_a_worker_killed_mid_load_loses_and_duplicates_nothing(pool):
    day = date(2024, 1, 10)
    chaos = Path(os.environ["STAGE4_CHAOS_DIR"])
    arm_pause(chaos, "load", day, seconds=600)  # fact_orders written, not committed
    (run_id,) = pool.submit_days([day]).values()
    marker = chaos / f"paused-load-{day}.json"
    procs.wait_until(marker.exists, timeout_s=900, what="the load to pause")
    paused = json.loads(marker.read_text())
    victim = paused["worker"]
    pid = procs.pid_of(pool.run_dir.resolve(), victim)
    assert pid is not None
    # the host dies: the worker and the flow-run process mid-transaction
    for group in {pid, paused["pgid"]}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    states = pool.wait([run_id], timeout_s=1200)
    assert states[run_id] == "COMPLETED", pool.flow_run(run_id)["state"]
    record = pool.flow_run(run_id)
    assert record["run_count"] >= 2  # the dead attempt and the one that finished
    picked = pool.submitted_by()[run_id]
    assert picked[0] == victim and picked[-1] != victim, picked  # re-run by the other worker
    assert _exact(day) and _loaded(day) == 1  # the killed attempt never committed
