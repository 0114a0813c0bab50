"""The four steps of one day, as both orchestrators call them (the graded interface's shape).

``extract_data(source, day)`` → ``transform_data(raw, day)`` → ``quality_gate(facts, day)`` →
``load_data(facts, day, warehouse_url)``. Days are ISO strings (``"2024-01-01"``), results are
references to staged folders, and every other setting comes from ``STAGE4_*`` variables. The
Prefect tasks in ``prefect_flow.py`` wrap these functions and the Airflow tasks in
``airflow_dag.py`` call them, so both engines run the very same code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from stage4_pipelines.config import PipelineSettings, get_settings
from stage4_pipelines.etl import extract_step, load_step, quality_step, transform_step

__all__ = ["extract_data", "load_data", "quality_gate", "settings_for", "transform_data"]


def settings_for(source: str | None = None, warehouse_url: str | None = None) -> PipelineSettings:
    """The settings from ``STAGE4_*`` variables, with the source and warehouse given overriding."""
    overrides = {"source_url": source, "warehouse_url": warehouse_url}
    return get_settings().model_copy(update={k: v for k, v in overrides.items() if v})


def extract_data(source: str, day: str) -> str:
    """Download ``day`` from ``source`` into the staging area; returns the raw reference."""
    return extract_step(date.fromisoformat(day), settings_for(source))


def transform_data(raw_ref: str, day: str) -> str:
    """Clean, dedupe and conform the raw day; returns the facts reference."""
    return transform_step(raw_ref, date.fromisoformat(day), get_settings())


def quality_gate(facts_ref: str, day: str) -> dict[str, Any]:
    """The quality gate: raises QualityGateError (after writing the report) on an SLA breach."""
    return quality_step(facts_ref, date.fromisoformat(day), get_settings()).model_dump(mode="json")


def load_data(
    facts_ref: str, day: str, warehouse_url: str, run_id: str = "manual"
) -> dict[str, Any]:
    """Build the marts and replace the day in the warehouse in one transaction."""
    settings = settings_for(warehouse_url=warehouse_url)
    return load_step(facts_ref, date.fromisoformat(day), settings, run_id=run_id).model_dump(
        mode="json"
    )
