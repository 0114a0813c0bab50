"""Self-healing: every run also picks up the recent days that never loaded (자동 재처리).

A day whose run failed for good (upstream down all day, a bad feed later fixed) leaves a gap in
``etl_load_audit``. The next successful run looks back ``lookback_days`` and reprocesses every
gap after the first loaded day, best effort: a gap that still fails is logged and tried again
by the next day's run, and never fails the run that is healing.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.errors import Stage4Error, TransientError
from stage4_pipelines.etl import process_day
from stage4_pipelines.extract import Source, source_from_settings
from stage4_pipelines.warehouse import BetweenTables, Warehouse, connect_warehouse

__all__ = ["HealReport", "heal_gaps", "heal_missed_days", "missed_days"]

log = logging.getLogger(__name__)


class HealReport(BaseModel):
    """Which gaps were found, and which of them loaded this time."""

    checked_until: date
    missed: list[date] = Field(default_factory=list)
    healed: list[date] = Field(default_factory=list)
    still_failing: dict[str, str] = Field(default_factory=dict)
    skipped: str | None = None
    """Why no gap was looked for this time (say, the warehouse was busy); the next run will."""


def missed_days(warehouse: Warehouse, day: date, lookback_days: int) -> list[date]:
    """Days before ``day`` (within the lookback) with no load, after the first loaded day."""
    loaded = warehouse.loaded_days()
    if not loaded:
        return []
    first = min(loaded)
    window = [day - timedelta(days=i) for i in range(lookback_days, 0, -1)]
    return [d for d in window if d > first and d not in loaded]


def heal_gaps(
    day: date,
    *,
    source: Source,
    warehouse: Warehouse,
    sla_dir: Path,
    reports_dir: Path,
    lookback_days: int,
    run_id: str,
    between_tables: BetweenTables | None = None,
) -> HealReport:
    """Reprocess the gaps before ``day`` once each through :func:`process_day`; never raises
    for a gap that still fails. The engines' tasks and the reliability simulation share it."""
    report = HealReport(checked_until=day, missed=missed_days(warehouse, day, lookback_days))
    for gap in report.missed:
        try:
            process_day(
                gap,
                source=source,
                warehouse=warehouse,
                sla_dir=sla_dir,
                reports_dir=reports_dir,
                run_id=f"{run_id}:heal",
                between_tables=between_tables,
            )
        except Stage4Error as exc:
            log.warning("gap %s still fails (%r); the next run will try again", gap, exc)
            report.still_failing[gap.isoformat()] = f"{type(exc).__name__}: {exc}"
        else:
            report.healed.append(gap)
    return report


def heal_missed_days(day: date, settings: PipelineSettings, *, run_id: str) -> HealReport:
    """Reprocess the recent gaps before ``day`` (the engines' heal task); never raises for a
    gap that still fails, nor when the warehouse cannot be read right now (the day's own load
    already succeeded: failing the run, and alerting, would be wrong)."""
    warehouse = connect_warehouse(settings.warehouse_url)
    try:
        return heal_gaps(
            day,
            source=source_from_settings(settings),
            warehouse=warehouse,
            sla_dir=settings.sla_dir,
            reports_dir=settings.reports_dir,
            lookback_days=settings.heal_lookback_days,
            run_id=run_id,
        )
    except TransientError as exc:  # e.g. WarehouseBusy: another run holds the DuckDB file
        log.warning("self-healing skipped (%r); the next run will look again", exc)
        return HealReport(checked_until=day, skipped=f"{type(exc).__name__}: {exc}")
    finally:
        warehouse.close()
