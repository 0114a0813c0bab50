"""Checking what a person typed before any work starts: days, ranges and settings.

Every check raises :class:`BadInput` with a message that names the input and says how to fix
it; the CLI prints that message and exits with code 2 (nothing was run). Limits that an input
could blow up are constants here, documented in the README.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from stage4_pipelines.config import PipelineSettings

__all__ = [
    "MAX_BACKFILL_DAYS",
    "BadInput",
    "airflow_start_problem",
    "check_airflow_days",
    "check_day_has_ended",
    "day_span",
    "load_settings",
    "parse_day",
]

MAX_BACKFILL_DAYS = 3660
"""Longest range one backfill command takes (about 10 years); split longer ones."""

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadInput(ValueError):
    """Raised when a command-line input or setting is invalid; the message names the fix."""


def parse_day(value: str, option: str = "--day") -> date:
    """``value`` as a calendar day, strictly ``YYYY-MM-DD``."""
    text = value.strip()
    if not _DAY.fullmatch(text):
        raise BadInput(f"{option} {value!r} is not a day: use YYYY-MM-DD, e.g. 2024-01-31")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadInput(
            f"{option} {value!r} is not a calendar day ({exc}): use YYYY-MM-DD, e.g. 2024-01-31"
        ) from exc


def check_day_has_ended(day: date, timezone: str, option: str = "--day") -> None:
    """Refuse a day that has not ended yet where the business is (its data is incomplete)."""
    today = datetime.now(ZoneInfo(timezone)).date()
    if day >= today:
        raise BadInput(
            f"{option} {day} has not ended yet in {timezone} (today is {today}): a day is "
            f"processed from 02:00 the next day; the latest day you can run is {today - timedelta(days=1)}"
        )


def airflow_start_problem(day: date, settings: PipelineSettings, option: str = "day") -> str:
    """Why the Airflow DAG cannot process ``day`` (empty when it can)."""
    if day >= settings.start_date - timedelta(days=1):  # its run fires at 02:00 the next day
        return ""
    return (
        f"{option} {day} is before the Airflow DAG's start_date {settings.start_date} "
        "(STAGE4_START_DATE): Airflow would make that run with no tasks and load nothing; "
        f"set STAGE4_START_DATE={day} or earlier"
    )


def check_airflow_days(days: list[date], settings: PipelineSettings, option: str) -> None:
    """Refuse, before any work, days the Airflow DAG would run without tasks."""
    problem = airflow_start_problem(min(days), settings, option) if days else ""
    if problem:
        raise BadInput(problem)


def day_span(start: date, end: date, max_days: int = MAX_BACKFILL_DAYS) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive, refusing reversed or oversized ranges."""
    if end < start:
        raise BadInput(
            f"--end {end} is before --start {start}: swap them (--start {end} --end {start})"
        )
    count = (end - start).days + 1
    if count > max_days:
        raise BadInput(
            f"--start {start} --end {end} spans {count} days, more than the {max_days} one "
            "backfill takes: split the range into several backfills"
        )
    return [start + timedelta(days=i) for i in range(count)]


def load_settings() -> PipelineSettings:
    """The ``STAGE4_*`` settings, with a validation error turned into one line per variable."""
    try:
        return PipelineSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"STAGE4_{'_'.join(str(p) for p in err['loc']).upper()}={err.get('input')!r}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise BadInput(f"bad setting {problems}") from exc
