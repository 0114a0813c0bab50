"""With DATABASE_URL and REDIS_URL set, the demo uses PostgreSQL and Redis instead of the embedded defaults."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest
import redis

from demo.config import DemoSettings
from demo.results import DemoRun
from demo.step_api import run_api
from demo.step_mlops import MlopsHandoff
from demo.step_pipeline import run_pipeline, warehouse_url_for

pytestmark = [pytest.mark.service, pytest.mark.slow]

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"


def test_pipeline_loads_postgresql_when_database_url_is_set(
    tiny_run: tuple[DemoRun, DemoSettings],
) -> None:
    from stage4_pipelines.warehouse import PostgresWarehouse, connect_warehouse

    _, base = tiny_run
    schema = f"demo_test_{os.getpid()}"
    settings = replace(base, database_url=f"{POSTGRES}?schema={schema}")
    try:
        result = run_pipeline(settings)
        assert result.summary["warehouse"] == "PostgreSQL"
        assert result.summary["days_matching_source"] == "3/3"
        warehouse = connect_warehouse(warehouse_url_for(settings))
        assert len(warehouse.read_table("fact_orders")) > 0
    finally:
        warehouse = connect_warehouse(warehouse_url_for(settings))
        assert isinstance(warehouse, PostgresWarehouse)
        warehouse.drop_schema()
        warehouse.close()


def test_api_caches_in_redis_when_redis_url_is_set(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    _, base = tiny_run
    summary = json.loads((base.out / "stage3" / "summary.json").read_text(encoding="utf-8"))
    handoff = MlopsHandoff(summary["tracking_uri"], summary["api_model"]["name"], None)
    settings = replace(base, redis_url=REDIS, out=base.out / "with-redis")
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter("demo:pred:*"):
        client.delete(key)
    result, server = run_api(settings, handoff)
    server.stop()
    try:
        assert result.summary["redis"] == "ok"
        assert result.summary["ok"] == result.summary["requests"]
        metrics = (settings.out / "stage5" / "metrics.txt").read_text(encoding="utf-8")
        hits = [line for line in metrics.splitlines() if line.startswith("stage5_cache_hits_total")]
        assert hits and float(hits[0].split()[-1]) > 0  # 40 requests over 25 users: repeats hit
    finally:
        for key in client.scan_iter("demo:pred:*"):
            client.delete(key)
        client.close()
