"""The real Prefect engine under ``prefect_test_harness`` (a temporary local server)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from stage4_pipelines.chaos import arm_crash
from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.engines import run_day_with_prefect, settings_env
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.slack_receiver import SlackReceiver
from stage4_pipelines.source import FaultConfig, UpstreamServer, generate_day
from stage4_pipelines.warehouse import connect_warehouse


def _settings(tmp: Path, upstream: str, warehouse: str, slack: str) -> PipelineSettings:
    return PipelineSettings(
        source_url=upstream,
        warehouse_url=warehouse,
        staging_dir=tmp / "staging",
        reports_dir=tmp / "reports",
        chaos_dir=tmp / "chaos",
        retry_delay_seconds=0.05,
        request_timeout_seconds=5,
        slack_webhook_url=slack,
    )


def test_tasks_declare_retries_and_cache_policies():
    from prefect.cache_policies import NO_CACHE

    from stage4_pipelines.prefect_flow import extract_data, quality_gate, transform_data

    assert extract_data.retries == 3 and extract_data.cache_policy is NO_CACHE
    assert transform_data.cache_policy is not NO_CACHE and transform_data.retries == 3
    assert quality_gate.retries == 0


@pytest.mark.service
@pytest.mark.slow
def test_flow_recovers_alerts_and_reprocesses_on_postgres(prefect_harness, pg_url, tmp_path):
    from stage4_pipelines.prefect_flow import etl_pipeline

    good, broken, corrupt = date(2024, 4, 1), date(2024, 4, 2), date(2024, 4, 3)
    faults = FaultConfig(broken_days={broken}, corrupt_days={corrupt}, http_5xx_rate=0.05)
    with UpstreamServer(orders_per_day=60, faults=faults) as up, SlackReceiver() as slack:
        settings = _settings(tmp_path, up.url, pg_url, slack.url)
        warehouse = connect_warehouse(pg_url)

        arm_crash(settings.chaos_dir, "load", good)
        assert run_day_with_prefect(etl_pipeline, good, settings)
        assert reconcile_day(warehouse, generate_day(good, orders=60).expected).matches

        assert not run_day_with_prefect(etl_pipeline, broken, settings)
        alert = slack.texts()[-1]
        assert "task extract" in alert and str(broken) in alert and "prefect" in alert
        up.injector.reconfigure(FaultConfig(corrupt_days={corrupt}))
        assert run_day_with_prefect(etl_pipeline, broken, settings)
        assert reconcile_day(warehouse, generate_day(broken, orders=60).expected).matches

        assert not run_day_with_prefect(etl_pipeline, corrupt, settings)
        assert "task quality_gate" in slack.texts()[-1]
        report = json.loads((settings.reports_dir / f"quality_{corrupt}.json").read_text())
        assert report["passed"] is False
        assert warehouse.read_table("mart_daily_revenue", corrupt).empty

        up.injector.reconfigure(FaultConfig())  # the feed is fixed: the next run heals the gap
        assert run_day_with_prefect(etl_pipeline, date(2024, 4, 4), settings)
        assert reconcile_day(warehouse, generate_day(corrupt, orders=60).expected).matches


def test_backfill_reprocesses_a_range_idempotently(prefect_harness, tmp_path):
    from stage4_pipelines.prefect_flow import etl_backfill

    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with UpstreamServer(orders_per_day=20) as up:
        settings = _settings(tmp_path, up.url, url, "")
        with settings_env(settings):
            first = etl_backfill("2024-02-01", "2024-02-03", up.url, url)
            again = etl_backfill("2024-02-02", "2024-02-02", up.url, url)
    assert first == {f"2024-02-0{d}": "COMPLETED" for d in (1, 2, 3)}
    assert again == {"2024-02-02": "COMPLETED"}
    warehouse = connect_warehouse(url)
    assert len(warehouse.loaded_days()) == 3
    for day in warehouse.loaded_days():
        assert reconcile_day(warehouse, generate_day(day, orders=20).expected).matches
