"""The same ETL as a Prefect 3 flow: typed tasks with retries, a cache policy, a failure hook.

Run one day::

    python -m stage4_pipelines run --engine prefect --day 2024-01-01

Serve it on the daily schedule (02:00 Asia/Seoul)::

    make serve-prefect-stage4
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE
from prefect.client.schemas.objects import FlowRun, State
from prefect.flows import Flow

from stage4_pipelines import steps
from stage4_pipelines.config import get_settings
from stage4_pipelines.errors import Stage4Error
from stage4_pipelines.slack import FailureAlert, format_slack_message, post_slack_message

__all__ = [
    "FLOW_NAME",
    "etl_backfill",
    "etl_pipeline",
    "extract_data",
    "heal_gaps",
    "load_data",
    "quality_gate",
    "serve",
    "transform_data",
    "yesterday",
]

FLOW_NAME = "ecommerce-etl"
log = logging.getLogger(__name__)


def yesterday(timezone: str) -> date:
    """The day a scheduled run processes: yesterday in the pipeline's timezone."""
    return datetime.now(ZoneInfo(timezone)).date() - timedelta(days=1)


# The four steps are plain functions in steps.py (the Airflow DAG calls the same ones).
# Extract talks to the outside world: never cached, retried with backoff.
extract_data = task(retries=3, retry_delay_seconds=300, cache_policy=NO_CACHE)(steps.extract_data)
# Transform is a pure function of its (content-addressed) input and its code: safe to cache.
transform_data = task(
    retries=3,
    retry_delay_seconds=300,
    cache_policy=INPUTS + TASK_SOURCE,
    cache_expiration=timedelta(days=1),
)(steps.transform_data)
# The gate is not retried: the same data would fail again.
quality_gate = task(retries=0, cache_policy=NO_CACHE)(steps.quality_gate)
load_data = task(retries=3, retry_delay_seconds=300, cache_policy=NO_CACHE)(steps.load_data)


@task(retries=0, cache_policy=NO_CACHE)
def heal_gaps(day: str, source: str, warehouse_url: str, run_id: str) -> dict[str, Any]:
    """Reprocess recent days that never loaded (best effort: a gap that still fails waits for
    the next run and does not fail this one)."""
    from stage4_pipelines.heal import heal_missed_days

    settings = steps.settings_for(source, warehouse_url)
    return heal_missed_days(date.fromisoformat(day), settings, run_id=run_id).model_dump(
        mode="json"
    )


def _alert_on_failure(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """Flow failure hook: send the same Slack message as Airflow's callback."""
    settings = get_settings()
    if not settings.slack_webhook_url:
        log.warning("flow %s failed but STAGE4_SLACK_WEBHOOK_URL is not set", flow_run.name)
        return
    error = state.result(raise_on_failure=False)
    day = flow_run.parameters.get("day")
    alert = FailureAlert(
        pipeline=flow.name,
        engine="prefect",
        task=error.step if isinstance(error, Stage4Error) else "unknown",
        day=date.fromisoformat(day) if day else None,
        error=f"{type(error).__name__}: {error}"
        if isinstance(error, BaseException)
        else str(state.message),
        run_id=flow_run.name,
        log_hint=f"Prefect UI: /runs/flow-run/{flow_run.id}",
    )
    post_slack_message(settings.slack_webhook_url, format_slack_message(alert))


@flow(name=FLOW_NAME, on_failure=[_alert_on_failure], log_prints=True)
def etl_pipeline(
    day: str | None = None, source: str | None = None, warehouse_url: str | None = None
) -> dict[str, Any]:
    """Extract → transform → quality gate → load for one day (default: yesterday)."""
    settings = steps.settings_for(source, warehouse_url)
    day = day or yesterday(settings.timezone).isoformat()
    policy: dict[str, Any] = {
        "retries": settings.retries,
        "retry_delay_seconds": [
            settings.retry_delay_seconds * 2**i for i in range(settings.retries)
        ],
    }
    from prefect.context import get_run_context

    run_id = f"prefect:{get_run_context().flow_run.name}"  # type: ignore[union-attr]
    raw_ref = extract_data.with_options(**policy)(settings.source_url, day)
    facts_ref = transform_data.with_options(**policy)(raw_ref, day)
    quality_gate(facts_ref, day)
    loaded = load_data.with_options(**policy)(facts_ref, day, settings.warehouse_url, run_id)
    loaded["heal"] = heal_gaps(day, settings.source_url, settings.warehouse_url, run_id)
    return loaded


@flow(name=f"{FLOW_NAME}-backfill", log_prints=True)
def etl_backfill(
    start: str, end: str, source: str | None = None, warehouse_url: str | None = None
) -> dict[str, str]:
    """Reprocess every day from ``start`` to ``end`` (inclusive); one failed day does not stop
    the others. Returns each day's final state."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    states: dict[str, str] = {}
    day = first
    while day <= last:
        state = etl_pipeline(day.isoformat(), source, warehouse_url, return_state=True)
        states[day.isoformat()] = state.type.value
        day += timedelta(days=1)
    return states


def serve() -> None:
    """Serve ``etl_pipeline`` on the daily cron schedule until stopped (needs a Prefect server)."""
    from prefect.schedules import Cron

    settings = get_settings()
    etl_pipeline.serve(
        name="ecommerce-etl-daily",
        schedule=Cron(settings.schedule, timezone=settings.timezone),
        tags=["stage4", "ecommerce"],
    )
