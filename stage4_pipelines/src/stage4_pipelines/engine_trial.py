"""One engine's graded trial, run in its own process (engines configure themselves at import).

``python -m stage4_pipelines.engine_trial --engine airflow --work-dir DIR [--impl SPEC]`` runs
four scenarios against a real upstream server and a real warehouse, and writes ``trial.json``:

1. transient faults: a few days with 5xx/truncated files and a killed extract; all must load
2. a full-size day: its wall time through the engine (roadmap: <= 1 hour)
3. recovery: a load killed midway completes on retry with exact data; a permanently broken
   day alerts Slack, and once fixed it is reprocessed with exact data
4. quality SLA: a corrupt day is stopped before the marts, with an alert and a report; a good
   day passes

Only the roadmap interface of the implementation is used: ``create_etl_dag()`` and the
``etl_pipeline`` flow, configured through ``STAGE4_*`` variables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from stage4_pipelines.chaos import arm_crash
from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.engines import run_day_with_airflow, run_day_with_prefect, settings_env
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.slack_receiver import SlackReceiver
from stage4_pipelines.source import FaultConfig, UpstreamServer, generate_day
from stage4_pipelines.staging import write_text_atomic
from stage4_pipelines.warehouse import connect_warehouse

__all__ = ["engine_environment", "main", "run_trial"]

TRANSIENT_DAYS = [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]
FULL_DAY = date(2024, 1, 4)
CRASH_DAY, BROKEN_DAY = date(2024, 1, 5), date(2024, 1, 6)
CORRUPT_DAY, GOOD_DAY = date(2024, 1, 7), date(2024, 1, 8)
SMALL_ORDERS = 80

DAG_FILE = '''"""Written by the stage 4 grader: the graded implementation's Airflow DAG."""
import os

from gradekit.implementation import load_implementation

_impl = load_implementation(
    os.environ.get("STAGE4_GRADED_IMPL") or None, "stage4_pipelines", module_hint="pipeline"
)
dag = _impl.create_etl_dag()
'''


def engine_environment(engine: str, work_dir: Path, impl: str) -> dict[str, str]:
    """Environment of the trial process: a private AIRFLOW_HOME / PREFECT_HOME under work_dir."""
    home = work_dir / engine
    return {
        "STAGE4_GRADED_IMPL": impl,
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow' / 'airflow.db'}",
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


class _Trial:
    def __init__(
        self, engine: str, impl: str, work_dir: Path, warehouse_url: str, full_orders: int
    ):
        self.engine, self.impl, self.work_dir = engine, impl, work_dir
        self.warehouse_url, self.full_orders = warehouse_url, full_orders
        self.result: dict[str, Any] = {"engine": engine, "impl": impl or "stage4_pipelines"}

    def settings(self, upstream: UpstreamServer, slack: SlackReceiver) -> PipelineSettings:
        base = self.work_dir / self.engine
        return PipelineSettings(
            source_url=upstream.url,
            warehouse_url=self.warehouse_url,
            staging_dir=base / "staging",
            reports_dir=base / "quality_reports",
            chaos_dir=base / "chaos",
            retry_delay_seconds=0.2,  # the DAG's 5 minutes, shortened: dag.test waits them out
            request_timeout_seconds=3,
            slack_webhook_url=slack.url,
        )

    def reconciles(self, day: date, orders: int) -> bool:
        warehouse = connect_warehouse(self.warehouse_url)
        try:
            expected = generate_day(day, orders=orders).expected
            assert expected is not None
            return reconcile_day(warehouse, expected).matches
        finally:
            warehouse.close()

    def scenario(self, name: str, body: Callable[[], dict[str, Any]]) -> None:
        started = time.perf_counter()
        try:
            outcome = body()
        except Exception as exc:  # a broken implementation fails this scenario, not the trial
            outcome = {
                "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc()[-2000:],
            }
        outcome["scenario_seconds"] = round(time.perf_counter() - started, 2)
        self.result[name] = outcome


def run_trial(
    engine: str, impl: str, work_dir: Path, warehouse_url: str, full_orders: int
) -> dict[str, Any]:
    """Run the four scenarios on ``engine`` and return what happened."""
    from gradekit.implementation import load_implementation

    trial = _Trial(engine, impl, work_dir, warehouse_url, full_orders)
    module = load_implementation(impl or None, "stage4_pipelines", module_hint="pipeline")
    faults = FaultConfig(
        http_5xx_rate=0.05,
        truncate_rate=0.05,
        broken_days={BROKEN_DAY},
        corrupt_days={CORRUPT_DAY},
    )
    with UpstreamServer(orders_per_day=SMALL_ORDERS, faults=faults) as up, SlackReceiver() as slack:
        settings = trial.settings(up, slack)
        chaos_dir = settings.chaos_dir or trial.work_dir / "chaos"
        if engine == "airflow":
            os.environ["AIRFLOW_CONN_SLACK_WEBHOOK"] = json.dumps(
                {"conn_type": "slackwebhook", "password": slack.url}
            )
            with settings_env(settings):  # create_etl_dag() reads STAGE4_* like in production
                dag = module.create_etl_dag()

            def run(day: date) -> bool:
                return run_day_with_airflow(dag, day, settings)

        else:
            flow = module.etl_pipeline

            def run(day: date) -> bool:
                return run_day_with_prefect(flow, day, settings)

        def transient() -> dict[str, Any]:
            armed = arm_crash(chaos_dir, "extract", TRANSIENT_DAYS[0])  # a killed worker
            ok = [run(d) and trial.reconciles(d, SMALL_ORDERS) for d in TRANSIENT_DAYS]
            injected = {k: v for k, v in up.injector.counts.items() if k != "none"}
            injected["killed_extract"] = int(not armed.exists())
            return {"days": len(ok), "succeeded": sum(ok), "faults_injected": injected}

        def full_day() -> dict[str, Any]:
            up.orders_overrides[FULL_DAY] = trial.full_orders
            started = time.perf_counter()
            ok = run(FULL_DAY)
            seconds = time.perf_counter() - started
            return {
                "orders": trial.full_orders,
                "succeeded": ok,
                "seconds": round(seconds, 2),
                "reconciled": ok and trial.reconciles(FULL_DAY, trial.full_orders),
            }

        def recovery() -> dict[str, Any]:
            up.injector.reconfigure(
                faults.model_copy(update={"http_5xx_rate": 0.0, "truncate_rate": 0.0})
            )
            armed = arm_crash(chaos_dir, "load", CRASH_DAY)
            crash_ok = run(CRASH_DAY) and trial.reconciles(CRASH_DAY, SMALL_ORDERS)
            before = len(slack.messages)
            permanent_failed = not run(BROKEN_DAY)
            alerts = slack.texts()[before:]
            alerted = any(str(BROKEN_DAY) in a and "extract" in a for a in alerts)
            up.injector.reconfigure(FaultConfig(corrupt_days={CORRUPT_DAY}))  # upstream fixed
            reprocessed = run(BROKEN_DAY) and trial.reconciles(BROKEN_DAY, SMALL_ORDERS)
            return {
                "crash_fired": not armed.exists(),
                "crash_recovered_exactly": crash_ok,
                "permanent_failure_failed_the_run": permanent_failed,
                "slack_alerted": alerted,
                "reprocessed_exactly_after_fix": reprocessed,
                "alert_sample": alerts[-1][:600] if alerts else None,
            }

        def quality() -> dict[str, Any]:
            before = len(slack.messages)
            stopped = not run(CORRUPT_DAY)
            alerts = slack.texts()[before:]
            report_path = settings.reports_dir / f"quality_{CORRUPT_DAY.isoformat()}.json"
            report = json.loads(report_path.read_text()) if report_path.exists() else None
            warehouse = connect_warehouse(trial.warehouse_url)
            try:
                leaked = [
                    t for t in ("fact_orders", "mart_daily_revenue", "mart_orders_by_category")
                    if not warehouse.read_table(t, CORRUPT_DAY).empty
                ]  # fmt: skip
            finally:
                warehouse.close()
            good = run(GOOD_DAY) and trial.reconciles(GOOD_DAY, SMALL_ORDERS)
            return {
                "bad_day_stopped": stopped,
                "slack_alerted": any("quality" in a and str(CORRUPT_DAY) in a for a in alerts),
                "report_written": report is not None and report.get("passed") is False,
                "tables_with_bad_rows": leaked,
                "good_day_passed": good,
            }

        for name, body in (
            ("transient", transient),
            ("full_day", full_day),
            ("recovery", recovery),
            ("quality", quality),
        ):
            trial.scenario(name, body)
    return trial.result


def _prepare_warehouse(url: str, engine: str, work_dir: Path) -> str:
    """A fresh warehouse for this engine: a new DuckDB file, or a schema dropped first."""
    from stage4_pipelines.warehouse import PostgresWarehouse

    if not url:
        path = work_dir / engine / "warehouse.duckdb"
        path.unlink(missing_ok=True)
        return f"duckdb:///{path}"
    warehouse = connect_warehouse(url)
    if isinstance(warehouse, PostgresWarehouse):
        graded = PostgresWarehouse(warehouse.dsn, schema=f"stage4_grade_{engine}")
        graded.drop_schema()
        return graded.url
    return url


def main(argv: list[str] | None = None) -> None:
    """Entry point of the trial process (the grader starts it)."""
    parser = argparse.ArgumentParser(description="run one engine's graded stage 4 trial")
    parser.add_argument("--engine", choices=["airflow", "prefect"], required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--impl", default="")
    parser.add_argument("--warehouse-url", default="")
    parser.add_argument("--full-orders", type=int, default=20_000)
    args = parser.parse_args(argv)
    work_dir: Path = args.work_dir.resolve()
    out = work_dir / args.engine / "trial.json"
    try:
        url = _prepare_warehouse(args.warehouse_url, args.engine, work_dir)
        if args.engine == "airflow":
            dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
            dags.mkdir(parents=True, exist_ok=True)
            write_text_atomic(dags / "ecommerce_etl_graded.py", DAG_FILE)
            subprocess.run(
                [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True
            )
            result = run_trial(args.engine, args.impl, work_dir, url, args.full_orders)
        else:
            from prefect.testing.utilities import prefect_test_harness

            with prefect_test_harness(server_startup_timeout=180):  # slow shared machines
                result = run_trial(args.engine, args.impl, work_dir, url, args.full_orders)
    except Exception as exc:
        result = {"engine": args.engine, "error": f"{type(exc).__name__}: {exc}"}
    write_text_atomic(out, json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
