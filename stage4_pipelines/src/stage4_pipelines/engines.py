"""Run one day (or a range) on a real engine: Airflow's ``dag.test`` or a Prefect flow call.

Both engines read the pipeline settings from ``STAGE4_*`` variables, so :func:`settings_env`
applies a :class:`PipelineSettings` to the environment for the duration of a run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.errors import ConfigError

__all__ = ["day_range", "run_day_with_airflow", "run_day_with_prefect", "settings_env"]


@contextmanager
def settings_env(settings: PipelineSettings) -> Iterator[None]:
    """Export ``settings`` as ``STAGE4_*`` variables inside the block, restoring them after."""
    values = {
        f"STAGE4_{name.upper()}": str(value)
        for name, value in settings.model_dump().items()
        if value is not None
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def day_range(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}: swap them")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def run_day_with_airflow(dag: Any, day: date, settings: PipelineSettings) -> bool:
    """Run ``dag`` for ``day`` with ``dag.test()`` (needs ``airflow db migrate`` first).

    The run's logical date is the next day at the schedule's time, so its data interval is
    exactly ``day``: the same run the scheduler would have made.
    """
    from stage4_pipelines.airflow_dag import logical_date_for_day

    logical_date = logical_date_for_day(day, settings)
    if dag.start_date is not None and logical_date < dag.start_date:
        # Airflow would make the run, give it no tasks and call it a success: nothing loaded
        raise ConfigError(
            f"day {day} runs at {logical_date}, before the DAG's start_date {dag.start_date}: "
            f"Airflow would give the run no tasks; set STAGE4_START_DATE={day} or earlier"
        )
    with settings_env(settings):
        run = dag.test(logical_date=logical_date)
    return str(getattr(run, "state", "")) == "success"


def run_day_with_prefect(flow: Any, day: date, settings: PipelineSettings) -> bool:
    """Call the ``etl_pipeline`` flow for ``day``; True when the flow run completed."""
    with settings_env(settings):
        state = flow(
            day=day.isoformat(),
            source=settings.source_url,
            warehouse_url=settings.warehouse_url,
            return_state=True,
        )
    return bool(state.is_completed())
