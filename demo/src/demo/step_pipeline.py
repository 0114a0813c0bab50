"""Step 4 (stage 4): run the e-commerce ETL core for a few days, with the quality gate at work."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from demo.config import DemoSettings
from demo.results import Artifact, StepResult, write_json
from stage4_pipelines.config import DEFAULT_SLA_DIR
from stage4_pipelines.errors import QualityGateError
from stage4_pipelines.etl import process_day, reconcile_day
from stage4_pipelines.extract import GeneratedSource
from stage4_pipelines.source.faults import FaultConfig
from stage4_pipelines.source.generator import generate_day
from stage4_pipelines.transform import MART_TABLES
from stage4_pipelines.warehouse import Warehouse, connect_warehouse

__all__ = ["FIRST_DAY", "run_pipeline", "warehouse_url_for"]

FIRST_DAY = date(2024, 1, 1)
DEMO_SCHEMA = "demo_shop"  # the PostgreSQL schema used when DATABASE_URL is set


def warehouse_url_for(settings: DemoSettings) -> str:
    """PostgreSQL (schema ``demo_shop`` unless the URL names one) when ``DATABASE_URL`` is set,
    else a DuckDB file under the demo's output folder."""
    if settings.database_url:
        url = settings.database_url
        if "schema=" not in url:
            url += ("&" if "?" in url else "?") + f"schema={DEMO_SCHEMA}"
        return url
    return f"duckdb:///{settings.out / 'stage4' / 'warehouse.duckdb'}"


def run_pipeline(settings: DemoSettings) -> StepResult:
    """Process consecutive days; the second day serves corrupt data, so the gate stops it.

    Then the upstream is "fixed" and that day is reprocessed, as an on-call engineer would do
    after the Slack alert. Every loaded day is reconciled with the source's truth.
    """
    profile = settings.profile
    out = settings.out / "stage4"
    reports_dir = out / "quality_reports"
    out.mkdir(parents=True, exist_ok=True)
    days = [FIRST_DAY + timedelta(days=i) for i in range(profile.pipeline_days)]
    bad_day = days[1]
    source = GeneratedSource(
        orders_per_day=profile.orders_per_day,
        seed=settings.seed,
        faults=FaultConfig(corrupt_days={bad_day}),
    )
    url = warehouse_url_for(settings)
    warehouse = connect_warehouse(url)
    log: list[dict[str, Any]] = []
    try:
        warehouse.create_tables()
        for day in days:
            log.append(_run_day(day, source, warehouse, reports_dir, run_id="demo"))
        source.injector.reconfigure(FaultConfig())  # the upstream team fixed the feed
        log.append(_run_day(bad_day, source, warehouse, reports_dir, run_id="demo-reprocess"))
        reconciled = [
            _reconcile(warehouse, day, profile.orders_per_day, settings.seed) for day in days
        ]
        marts_dir = _export_marts(warehouse, out / "marts")
    finally:
        warehouse.close()
    write_json(out / "runs.json", {"warehouse": url, "runs": log, "reconciliation": reconciled})
    stopped = [r["day"] for r in log if r["status"] == "stopped by quality gate"]
    summary = {
        "days": len(days),
        "orders_per_day": profile.orders_per_day,
        "loaded_days": sum(1 for r in log if r["status"] == "loaded"),
        "stopped_by_gate": ", ".join(stopped) or "none",
        "reprocessed": bad_day.isoformat(),
        "days_matching_source": f"{sum(r['matches'] for r in reconciled)}/{len(days)}",
        "warehouse": "PostgreSQL" if url.startswith("postgres") else "DuckDB",
    }
    artifacts = [
        Artifact(label="quality-gate reports", location=str(reports_dir), kind="folder"),
        Artifact(label="marts (Parquet)", location=str(marts_dir), kind="folder"),
        Artifact(label="runs and reconciliation", location=str(out / "runs.json")),
    ]
    if url.startswith("duckdb"):
        artifacts.insert(
            0, Artifact(label="warehouse (DuckDB)", location=url.removeprefix("duckdb:///"))
        )
    return StepResult(
        step="pipeline",
        stage=4,
        title="Run the e-commerce pipeline with a quality gate (품질 게이트)",
        summary=summary,
        artifacts=artifacts,
    )


def _run_day(
    day: date, source: GeneratedSource, warehouse: Warehouse, reports_dir: Path, *, run_id: str
) -> dict[str, Any]:
    """One day through extract → transform → gate → load; a gate breach is an outcome, not a crash."""
    try:
        result = process_day(
            day,
            source=source,
            warehouse=warehouse,
            sla_dir=DEFAULT_SLA_DIR,
            reports_dir=reports_dir,
            run_id=run_id,
        )
    except QualityGateError as exc:
        return {
            "day": day.isoformat(),
            "run_id": run_id,
            "status": "stopped by quality gate",
            "failed_rules": exc.failed_rules,
            "report": str(exc.report_path),
        }
    return {
        "day": day.isoformat(),
        "run_id": run_id,
        "status": "loaded",
        **result.model_dump(mode="json"),
    }


def _reconcile(warehouse: Warehouse, day: date, orders: int, seed: int) -> dict[str, Any]:
    expected = generate_day(day, orders=orders, seed=seed).expected
    if expected is None:  # the generator always records it; guard for the type checker
        return {"day": day.isoformat(), "matches": False}
    return reconcile_day(warehouse, expected).model_dump(mode="json")


def _export_marts(warehouse: Warehouse, folder: Path) -> Path:
    """Each mart as one Parquet file, so a notebook can read the results without the warehouse."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in MART_TABLES:
        frame = warehouse.read_table(table)
        tmp = folder / f".{table}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{table}.parquet")
    return folder
