"""Stage 4 across machines: a day and a backfill on 1 vs 2 workers, Airflow-Celery and Prefect-pool.

For each engine the cluster is started once with 2 workers (the same code as
``make start-celery-stage4`` / ``make start-prefect-pool-stage4``), a day and a backfill are
run, worker2 is stopped, and a day and a backfill are run again on worker1 alone. Each leg
loads days of its own, so every day is loaded once in the whole run and its load counter must
read 1. Times are the engines' own records (Airflow's ``dag_run.queued_at`` → ``end_date``,
Prefect's flow-run ``created`` → ``end_time``), from the first run queued to the last one
finished; the CLI start-up of a submit is not counted. Every loaded day is reconciled against
the source's truth (row counts, checksum, no order id twice).

Figures from a shared 2-core machine: read the ratios, with the load recorded beside them::

    uv run --frozen python stage4_pipelines/bench/distributed.py --backfill-days 30
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from opskit.files import write_text_atomic
from opskit.machine import machine_facts
from stage4_pipelines.cluster import procs
from stage4_pipelines.cluster.airflow_celery import AirflowCluster
from stage4_pipelines.cluster.prefect_pool import PrefectPool
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.source import UpstreamServer, generate_day
from stage4_pipelines.warehouse import PostgresWarehouse, connect_warehouse

PG = "postgresql://postgres@127.0.0.1:5432"
WAREHOUSE_DB = "s4_dist"
SEOUL = ZoneInfo("Asia/Seoul")
OUT = Path(__file__).resolve().parent / "results" / "stage4_distributed.json"


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def _fire_time(day: date) -> datetime:
    """The Airflow run that loads ``day`` fires at D+1 02:00 Seoul (the one logical-date rule)."""
    return datetime.combine(day + timedelta(days=1), dtime(2, 0), SEOUL)


class AirflowLeg:
    """Runs days on the Celery cluster; times come from ``dag_run``."""

    name = "airflow-celery"

    def __init__(self, run_dir: Path, slot: int = 0) -> None:
        self.cluster = AirflowCluster(
            run_dir=run_dir, database=f"s4_bench_airflow{slot or ''}",
            redis_url=f"redis://127.0.0.1:6379/{13 + slot}", api_port=8796 + 10 * slot,
        )  # fmt: skip

    def up(self) -> None:
        _pg_admin(f"DROP DATABASE IF EXISTS {self.cluster.database} WITH (FORCE)")
        self.cluster.up(timeout_s=900)
        self.cluster.airflow("dags", "unpause", "ecommerce_etl")
        # unpausing makes the latest scheduled run (yesterday): let it finish before timing
        time.sleep(30)
        procs.wait_until(
            lambda: (
                not self.cluster.sql("SELECT 1 FROM dag_run WHERE state IN ('queued', 'running')")
            ),
            timeout_s=900,
            what="the scheduled run made by unpausing",
        )

    def down(self) -> None:
        self.cluster.down()

    def stop_worker(self, name: str) -> None:
        procs.stop(self.cluster.run_dir.resolve(), name)

    def run(self, days: Sequence[date], concurrency: int) -> float:
        first, last = _fire_time(days[0]), _fire_time(days[-1])
        if len(days) == 1:
            self.cluster.airflow(
                "dags", "trigger", "ecommerce_etl", "--logical-date", first.isoformat()
            )
        else:
            self.cluster.airflow(
                "backfill", "create", "--dag-id", "ecommerce_etl",
                "--from-date", first.isoformat(), "--to-date", last.isoformat(),
                "--max-active-runs", str(concurrency),
            )  # fmt: skip
        query = (
            "SELECT state, queued_at, end_date FROM dag_run WHERE dag_id = 'ecommerce_etl' "
            "AND logical_date BETWEEN %s AND %s"
        )

        def done() -> bool:
            rows = self.cluster.sql(query, [first, last])
            return len(rows) == len(days) and all(r[0] in ("success", "failed") for r in rows)

        procs.wait_until(done, timeout_s=7200, what=f"Airflow runs for {days[0]}..{days[-1]}")
        rows = self.cluster.sql(query, [first, last])
        if any(r[0] != "success" for r in rows):
            raise RuntimeError(f"Airflow runs failed: {rows}")
        return float((max(r[2] for r in rows) - min(r[1] for r in rows)).total_seconds())


class PrefectLeg:
    """Runs days on the process work pool; times come from the flow-run records."""

    name = "prefect-pool"

    def __init__(self, run_dir: Path, slot: int = 0) -> None:
        self.pool = PrefectPool(
            run_dir=run_dir, database=f"s4_bench_prefect{slot or ''}",
            api_port=4212 + 10 * slot, scheduled=False,
        )  # fmt: skip

    def up(self) -> None:
        _pg_admin(f"DROP DATABASE IF EXISTS {self.pool.database} WITH (FORCE)")
        self.pool.up(timeout_s=900)

    def down(self) -> None:
        self.pool.down()

    def stop_worker(self, name: str) -> None:
        procs.stop(self.pool.run_dir.resolve(), name)

    def run(self, days: Sequence[date], concurrency: int) -> float:
        runs = self.pool.submit_days(days)
        states = self.pool.wait(runs.values(), timeout_s=7200)
        if set(states.values()) != {"COMPLETED"}:
            raise RuntimeError(f"Prefect flow runs not completed: {states}")
        records = [self.pool.flow_run(r) for r in runs.values()]
        created = min(datetime.fromisoformat(r["created"]) for r in records)
        ended = max(datetime.fromisoformat(r["end_time"]) for r in records)
        return (ended - created).total_seconds()


def _reconcile(days: Sequence[date], orders: int) -> dict[str, int]:
    warehouse = connect_warehouse(os.environ["STAGE4_WAREHOUSE_URL"])
    audit = warehouse.read_table("etl_load_audit")
    loads = {row.ds: int(row.load_count) for row in audit.itertuples()}
    exact = 0
    for day in days:
        facts = warehouse.read_table("fact_orders", day)
        result = reconcile_day(warehouse, generate_day(day, orders=orders).expected)
        exact += int(bool(result.matches and facts["order_id"].is_unique))
    return {
        "days": len(days),
        "exact": exact,
        "loaded_once": sum(loads.get(d, 0) == 1 for d in days),
        "missing": sum(loads.get(d, 0) == 0 for d in days),
        "loaded_twice_or_more": sum(loads.get(d, 0) > 1 for d in days),
    }


def _measure(
    leg: Any, days: Sequence[date], workers: int, orders: int, log: Callable[[str], None]
) -> dict[str, Any]:
    load_before = os.getloadavg()
    started = time.monotonic()
    makespan = leg.run(days, concurrency=2)
    wall = time.monotonic() - started
    result = {
        "engine": leg.name,
        "workers": workers,
        "first_day": days[0].isoformat(),
        "days": len(days),
        "makespan_s": round(makespan, 1),
        "wall_s": round(wall, 1),
        "load_1m_before": round(load_before[0], 2),
        "load_1m_after": round(os.getloadavg()[0], 2),
        "reconciliation": _reconcile(days, orders),
    }
    log(json.dumps(result))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backfill-days", type=int, default=30)
    parser.add_argument("--orders", type=int, default=50, help="orders per day at the upstream")
    parser.add_argument("--engines", nargs="+", default=["prefect", "airflow"],
                        choices=["airflow", "prefect"])  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--slot", type=int, default=0, help="ports and databases of their own (two runs at once)"
    )
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)

    tag = uuid.uuid4().hex[:8]
    procs.ensure_database(PG, WAREHOUSE_DB)
    started_load = os.getloadavg()
    bench_start = time.monotonic()
    legs_out: list[dict[str, Any]] = []
    next_day = date(2024, 2, 1)  # after the DAG's start_date: earlier runs would have no tasks

    def block(n: int) -> list[date]:
        nonlocal next_day
        days = [next_day + timedelta(days=i) for i in range(n)]
        next_day += timedelta(days=n + 1)
        return days

    def pick(engine: str, workers: int, days: int) -> dict[str, Any]:
        return next(
            r for r in legs_out
            if r["engine"] == engine and r["workers"] == workers and r["days"] == days
        )  # fmt: skip

    def report(complete: bool) -> dict[str, Any]:
        """The result file so far (written after every leg: a run cut short keeps its legs)."""
        summary: dict[str, Any] = {}
        for engine in sorted({r["engine"] for r in legs_out}):
            if len([r for r in legs_out if r["engine"] == engine]) < 4:
                continue  # that engine's legs are not all measured yet
            key = engine.replace("-", "_")
            for label, n in (("day", 1), ("backfill", args.backfill_days)):
                one, two = pick(engine, 1, n), pick(engine, 2, n)
                summary[f"{key}_{label}_1w_s"] = one["makespan_s"]
                summary[f"{key}_{label}_2w_s"] = two["makespan_s"]
                summary[f"{key}_{label}_speedup"] = round(one["makespan_s"] / two["makespan_s"], 2)
                summary[f"{key}_{label}_per_day_1w_s"] = round(one["makespan_s"] / n, 1)
                summary[f"{key}_{label}_per_day_2w_s"] = round(two["makespan_s"] / n, 1)
        if {"prefect_pool_backfill_1w_s", "airflow_celery_backfill_1w_s"} <= set(summary):
            for w in (1, 2):  # the engines side by side: Prefect's time over Airflow's
                for label in ("day", "backfill"):
                    summary[f"prefect_over_airflow_{label}_{w}w"] = round(
                        summary[f"prefect_pool_{label}_{w}w_s"]
                        / summary[f"airflow_celery_{label}_{w}w_s"],
                        2,
                    )
        return {
            "complete": complete,
            "command": "uv run --frozen python stage4_pipelines/bench/distributed.py "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "backfill_days": args.backfill_days,
            "orders_per_day": args.orders,
            "legs": legs_out,
            "summary": summary,
            "days_loaded": sum(r["reconciliation"]["days"] for r in legs_out),
            "days_exact": sum(r["reconciliation"]["exact"] for r in legs_out),
            "days_loaded_once": sum(r["reconciliation"]["loaded_once"] for r in legs_out),
            "days_duplicated": sum(r["reconciliation"]["loaded_twice_or_more"] for r in legs_out),
            "days_missing": sum(r["reconciliation"]["missing"] for r in legs_out),
            "bench_minutes": round((time.monotonic() - bench_start) / 60, 1),
            "machine": machine_facts(load_before=started_load),
        }

    with (
        tempfile.TemporaryDirectory(prefix="s4-bench-dist-") as tmp,
        UpstreamServer(orders_per_day=args.orders) as upstream,
    ):
        os.environ.update(
            {
                "STAGE4_SOURCE_URL": upstream.url,
                "STAGE4_WAREHOUSE_URL": f"{PG}/{WAREHOUSE_DB}?schema=bench_wh_{tag}",
                "STAGE4_STAGING_URL": f"{PG}/{WAREHOUSE_DB}?schema=bench_stg_{tag}",
                "STAGE4_REPORTS_DIR": f"{tmp}/reports",
                "STAGE4_RETRY_DELAY_SECONDS": "2",
                "STAGE4_HEAL_LOOKBACK_DAYS": "0",  # a backfill loads its own days, no healing
            }
        )
        try:
            for engine in args.engines:
                leg: Any = (AirflowLeg if engine == "airflow" else PrefectLeg)(
                    Path(tmp) / engine, args.slot
                )
                log(f"{leg.name}: starting with 2 workers")
                leg.up()
                try:
                    for workers in (2, 1):
                        if workers == 1:
                            leg.stop_worker("worker2")
                        for n in (1, args.backfill_days):
                            legs_out.append(_measure(leg, block(n), workers, args.orders, log))
                            write_text_atomic(args.out, json.dumps(report(False), indent=2) + "\n")
                finally:
                    leg.down()
        finally:
            for schema in (f"bench_wh_{tag}", f"bench_stg_{tag}"):
                PostgresWarehouse(f"{PG}/{WAREHOUSE_DB}", schema=schema).drop_schema()

    write_text_atomic(args.out, json.dumps(report(True), indent=2) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
