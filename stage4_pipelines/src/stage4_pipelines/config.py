"""Settings of the pipeline, read from ``STAGE4_*`` environment variables (nothing at import)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_SLA_DIR", "OLIST_SLA_DIR", "PipelineSettings", "get_settings"]

DEFAULT_SLA_DIR = Path(__file__).resolve().parent / "sla"
OLIST_SLA_DIR = DEFAULT_SLA_DIR / "olist"
"""The SLA of the real Olist feed (BRL, Olist's order statuses, Brazil; see its files)."""


class PipelineSettings(BaseSettings):
    """Where the data comes from and goes to, and how hard to try.

    **Usage**::

        STAGE4_WAREHOUSE_URL=postgresql://postgres@127.0.0.1:5432/stage4?schema=shop \\
        STAGE4_SOURCE_URL=http://127.0.0.1:8765 python -m stage4_pipelines run --day 2024-01-01
    """

    model_config = SettingsConfigDict(env_prefix="STAGE4_", env_ignore_empty=True, extra="ignore")

    source_url: str = "http://127.0.0.1:8765"
    """``http://host:port`` of the upstream API, ``generated://?orders=200&seed=7`` (no server),
    or ``olist:///abs/folder`` (Olist's Kaggle CSVs, real data)."""
    source_timezone: str = "America/Sao_Paulo"
    """Timezone of the wall-clock timestamps in a file source (Olist writes São Paulo time);
    a day is still a ``timezone`` day. Live sources already serve the pipeline's days."""
    warehouse_url: str = "duckdb:///data/stage4/warehouse.duckdb"
    """``duckdb:///path.duckdb`` (embedded default) or ``postgresql://user@host/db?schema=name``."""
    staging_dir: Path = Path("data/stage4/staging")
    staging_url: str | None = None
    """Staging every worker reaches (``postgresql://host/db?schema=x`` or an fsspec URL such as
    ``file:///mnt/shared/stage4``); unset = ``staging_dir``, a folder of this machine only."""
    reports_dir: Path = Path("data/stage4/quality_reports")
    sla_dir: Path = DEFAULT_SLA_DIR
    """Unset: ``sla/`` for the generated feed, ``sla/olist/`` for an ``olist:`` source."""
    chaos_dir: Path | None = None
    """Folder of armed one-shot faults (see ``chaos.py``); None disables fault injection."""
    timezone: str = "Asia/Seoul"
    schedule: str = "0 2 * * *"
    start_date: date = date(2024, 1, 1)
    """The Airflow DAG's ``start_date`` (a ``timezone`` day). Airflow gives a run before it no
    tasks, so the earliest day the DAG processes is the day before; set it before your data's
    first day (Olist: 2016-09-01)."""
    retries: int = Field(default=3, ge=0, le=20)
    retry_delay_seconds: float = Field(default=300.0, ge=0)
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    heal_lookback_days: int = Field(default=7, ge=0, le=366)
    """How far back each run looks for days that never loaded (0 disables self-healing)."""
    slack_webhook_url: str | None = None
    """Incoming-webhook URL; Airflow prefers its ``slack_webhook`` connection when it exists."""
    slack_conn_id: str = "slack_webhook"
    log_hint: str = "see the task log in the Airflow UI / Prefect UI"

    @field_validator("schedule")
    @classmethod
    def _five_field_cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a 5-field cron expression; use e.g. '0 2 * * *'")
        return value

    @field_validator("timezone", "source_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA timezone; use e.g. 'Asia/Seoul'") from exc
        return value

    @model_validator(mode="after")
    def _sla_of_the_source(self) -> PipelineSettings:
        """The SLA describes a feed: real Olist data gets its own unless one is set."""
        if "sla_dir" not in self.model_fields_set and self.source_url.startswith("olist:"):
            self.sla_dir = OLIST_SLA_DIR
        return self


def get_settings() -> PipelineSettings:
    """Read the settings now (not cached: tests and the grader change the environment)."""
    return PipelineSettings()
