"""The engine-agnostic ETL core: extract → transform → quality gate → load, for one day.

Airflow tasks and Prefect tasks are thin wrappers around the four ``*_step`` functions, which
pass staged references (folders) between them. :func:`process_day` runs the same core in one
call, in memory; the CLI and the reliability simulation use it.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from stage4_pipelines.chaos import maybe_crash, maybe_pause
from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.extract import RawDay, Source, extract_day, source_from_settings
from stage4_pipelines.quality import QualityReport, run_quality_gate
from stage4_pipelines.source.generator import ExpectedDay, order_checksum
from stage4_pipelines.staging import read_staged, stage_tables, staging_target
from stage4_pipelines.transform import TransformedDay, build_facts, build_marts
from stage4_pipelines.warehouse import BetweenTables, Warehouse, connect_warehouse

__all__ = [
    "DayResult",
    "Reconciliation",
    "extract_step",
    "load_step",
    "process_day",
    "quality_step",
    "reconcile_day",
    "transform_step",
]


class DayResult(BaseModel):
    """What one processed day produced."""

    day: date
    rows_loaded: int
    orders: int
    revenue_krw: int
    rejected_orders: int
    duplicates_dropped: int
    quality_validator: str
    seconds: float


class Reconciliation(BaseModel):
    """The warehouse against the source's truth for one day (exactly-once check)."""

    day: date
    matches: bool
    orders: int
    expected_orders: int
    items: int
    expected_items: int
    revenue_krw: int
    expected_revenue_krw: int
    checksum: str
    expected_checksum: str


def _load_with_chaos(
    warehouse: Warehouse,
    facts: TransformedDay,
    *,
    run_id: str,
    chaos_dir: Path | None,
    between_tables: BetweenTables | None,
) -> tuple[TransformedDay, int]:
    full = build_marts(facts)

    def hook(table: str) -> None:
        if between_tables is not None:
            between_tables(table)
        if table == "fact_orders":  # "killed midway": some tables written, others not yet
            maybe_crash(chaos_dir, "load", facts.day)
            maybe_pause(chaos_dir, "load", facts.day)  # time for a test to kill the worker

    rows = warehouse.load_day(facts.day, full.tables, run_id=run_id, between_tables=hook)
    return full, rows


def process_day(
    day: date,
    *,
    source: Source,
    warehouse: Warehouse,
    sla_dir: Path,
    reports_dir: Path,
    run_id: str = "manual",
    chaos_dir: Path | None = None,
    between_tables: BetweenTables | None = None,
) -> DayResult:
    """Run the whole core for ``day`` in memory (no staging): the fast path."""
    started = time.perf_counter()
    facts = build_facts(extract_day(source, day))
    report = run_quality_gate(day, facts.tables, sla_dir, reports_dir)
    full, rows = _load_with_chaos(
        warehouse, facts, run_id=run_id, chaos_dir=chaos_dir, between_tables=between_tables
    )
    return _result(full, rows, report, time.perf_counter() - started)


def _result(full: TransformedDay, rows: int, report: QualityReport, seconds: float) -> DayResult:
    orders = full.tables["fact_orders"]
    return DayResult(
        day=full.day,
        rows_loaded=rows,
        orders=len(orders),
        revenue_krw=int(orders["amount_krw"].sum()),
        rejected_orders=full.rejected_orders,
        duplicates_dropped=full.duplicates_dropped,
        quality_validator=report.validator,
        seconds=round(seconds, 4),
    )


# --- staged steps: one per orchestrator task -------------------------------------------------


def _target(settings: PipelineSettings, day: date) -> str | Path:
    return staging_target(settings.staging_url, settings.staging_dir, day.isoformat())


def extract_step(day: date, settings: PipelineSettings) -> str:
    """Extract ``day`` from the upstream and stage it; returns the raw reference."""
    maybe_crash(settings.chaos_dir, "extract", day)
    source = source_from_settings(settings)
    raw = extract_day(source, day)
    return stage_tables(_target(settings, day), "raw", raw.tables)


def transform_step(raw_ref: str, day: date, settings: PipelineSettings) -> str:
    """Clean and conform the raw day into facts and dimensions; returns the facts reference."""
    maybe_crash(settings.chaos_dir, "transform", day)
    facts = build_facts(RawDay(day=day, tables=read_staged(raw_ref)))
    return stage_tables(_target(settings, day), "facts", facts.tables)


def quality_step(facts_ref: str, day: date, settings: PipelineSettings) -> QualityReport:
    """The quality gate: raises QualityGateError (and writes the report) on an SLA breach."""
    return run_quality_gate(day, read_staged(facts_ref), settings.sla_dir, settings.reports_dir)


def load_step(facts_ref: str, day: date, settings: PipelineSettings, *, run_id: str) -> DayResult:
    """Build the marts and load facts + marts for ``day`` in one transaction."""
    started = time.perf_counter()
    facts = TransformedDay(day=day, tables=read_staged(facts_ref))
    warehouse = connect_warehouse(settings.warehouse_url)
    try:
        full, rows = _load_with_chaos(
            warehouse, facts, run_id=run_id, chaos_dir=settings.chaos_dir, between_tables=None
        )
    finally:
        warehouse.close()  # DuckDB: free the file for the next writer now, not at process exit
    report = QualityReport(day=day, passed=True, validator="(see gate)", sla_dir="", tables=[])
    return _result(full, rows, report, time.perf_counter() - started)


def reconcile_day(warehouse: Warehouse, expected: ExpectedDay) -> Reconciliation:
    """Compare the loaded facts of a day with the source's truth: nothing lost, nothing doubled."""
    orders = warehouse.read_table("fact_orders", expected.day)
    items = warehouse.read_table("fact_order_items", expected.day)
    revenue = int(items["line_total_krw"].sum()) if len(items) else 0
    checksum = order_checksum(orders["order_id"].tolist(), revenue)
    return Reconciliation(
        day=expected.day,
        matches=(
            len(orders) == expected.orders
            and len(items) == expected.items
            and revenue == expected.revenue_krw
            and checksum == expected.order_checksum
        ),
        orders=len(orders),
        expected_orders=expected.orders,
        items=len(items),
        expected_items=expected.items,
        revenue_krw=revenue,
        expected_revenue_krw=expected.revenue_krw,
        checksum=checksum,
        expected_checksum=expected.order_checksum,
    )
