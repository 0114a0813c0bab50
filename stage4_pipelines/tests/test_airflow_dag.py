"""The real Airflow engine: DagBag integrity, structure, and full ``dag.test()`` runs."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from stage4_pipelines.chaos import arm_crash
from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.engines import run_day_with_airflow
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.slack_receiver import SlackReceiver
from stage4_pipelines.source import FaultConfig, UpstreamServer, generate_day
from stage4_pipelines.warehouse import connect_warehouse

DAGS = Path(__file__).resolve().parents[1] / "dags"


def _settings(tmp: Path, upstream: str, warehouse: str) -> PipelineSettings:
    return PipelineSettings(
        source_url=upstream,
        warehouse_url=warehouse,
        staging_dir=tmp / "staging",
        reports_dir=tmp / "reports",
        chaos_dir=tmp / "chaos",
        retry_delay_seconds=0.1,  # dag.test really waits out retry_delay
        request_timeout_seconds=5,
    )


def test_dagbag_imports_without_errors(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert list(bag.dag_ids) == ["ecommerce_etl"]


def test_dag_structure_follows_the_roadmap(airflow_db):
    from stage4_pipelines.airflow_dag import create_etl_dag

    dag = create_etl_dag(PipelineSettings())
    assert dag.dag_id == "ecommerce_etl" and dag.catchup is False
    assert dag.dagrun_timeout == timedelta(hours=1)  # the 1-hour target, SLAs being gone
    assert dag.timetable.expression == "0 2 * * *"
    assert dag.timetable.timezone == "Asia/Seoul"
    # no data interval: a run's logical date is its firing time, on every path (run_day)
    assert dag.timetable.interval == timedelta(0)
    args = dag.default_args
    assert args["retries"] == 3 and args["retry_delay"] == timedelta(minutes=5)
    assert args["owner"] == "data-team" and args["on_failure_callback"] is not None
    order = {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}
    assert order == {
        "extract": ["transform"],
        "transform": ["load", "quality_gate"],
        "quality_gate": ["load"],
        "load": ["heal_missed_days"],
        "heal_missed_days": [],
    }
    assert dag.get_task("quality_gate").retries == 0
    assert dag.get_task("extract").retry_exponential_backoff == 2.0


@pytest.mark.service
@pytest.mark.slow
def test_dag_runs_recover_alert_and_reprocess_on_postgres(
    airflow_db, pg_url, tmp_path, monkeypatch
):
    from stage4_pipelines.airflow_dag import create_etl_dag

    good, broken, corrupt = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)
    faults = FaultConfig(broken_days={broken}, corrupt_days={corrupt})
    with UpstreamServer(orders_per_day=60, faults=faults) as up, SlackReceiver() as slack:
        # the Slack provider's connection, pointing at the loopback receiver
        conn = {"conn_type": "slackwebhook", "password": slack.url}
        monkeypatch.setenv("AIRFLOW_CONN_SLACK_WEBHOOK", json.dumps(conn))
        settings = _settings(tmp_path, up.url, pg_url)
        dag = create_etl_dag(settings)
        warehouse = connect_warehouse(pg_url)

        # 1. killed midway through the load, the retry completes with exact data
        arm_crash(settings.chaos_dir, "load", good)
        assert run_day_with_airflow(dag, good, settings)
        assert reconcile_day(warehouse, generate_day(good, orders=60).expected).matches
        assert not (settings.chaos_dir / f"load-{good}").exists()  # the crash did fire

        # 2. a permanent failure alerts Slack; once the upstream is fixed the day is reprocessed
        assert not run_day_with_airflow(dag, broken, settings)
        alert = slack.texts()[-1]
        assert "task extract" in alert and str(broken) in alert and "UpstreamUnavailable" in alert
        assert "localhost:8080/dags/ecommerce_etl" in alert  # the log link
        up.injector.reconfigure(FaultConfig(corrupt_days={corrupt}))
        assert run_day_with_airflow(dag, broken, settings)
        assert reconcile_day(warehouse, generate_day(broken, orders=60).expected).matches

        # 3. bad data is stopped at the gate: an alert, a report, nothing in the marts
        assert not run_day_with_airflow(dag, corrupt, settings)
        assert "task quality_gate" in slack.texts()[-1]
        report = json.loads((settings.reports_dir / f"quality_{corrupt}.json").read_text())
        assert report["passed"] is False
        assert warehouse.read_table("mart_daily_revenue", corrupt).empty
        assert warehouse.loaded_days() == {good, broken}

        # 4. once the feed is fixed, the next day's run heals the gap by itself
        up.injector.reconfigure(FaultConfig())
        assert run_day_with_airflow(dag, corrupt + timedelta(days=1), settings)
        assert corrupt in warehouse.loaded_days()
        assert reconcile_day(warehouse, generate_day(corrupt, orders=60).expected).matches
