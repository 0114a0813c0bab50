"""What the demo runs: the scale profile and the optional external services (nothing at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from demo.errors import DemoConfigError

__all__ = [
    "PROFILES",
    "DemoScale",
    "DemoSettings",
    "ScaleProfile",
    "load_settings",
    "parse_scale",
]


class DemoScale(StrEnum):
    """How much data each step generates (``DEMO_SCALE``)."""

    TINY = "tiny"  # the test suite: seconds per step
    SMALL = "small"  # the default: a few minutes on 2 cores
    FULL = "full"  # the roadmap's checkpoints: 1M rows, 1 GB of logs, 12 MLflow runs


@dataclass(frozen=True)
class ScaleProfile:
    """Sizes of every step for one scale; chosen so each step shows its stage's point."""

    orders_rows: int  # stage 1: generated orders to validate
    log_bytes: int  # stage 2: size of the generated access log
    log_days: float  # stage 2: days the log covers (anomaly detection needs 2 h of warm-up)
    log_engine: str  # stage 2: "local" or "dask"
    users: int  # stage 3: users, items and days of generated interactions
    items: int
    days: int
    grid: tuple[dict[str, Any], ...]  # stage 3: one MLflow run per entry
    pipeline_days: int  # stage 4: days run through the ETL
    orders_per_day: int
    api_requests: int  # stage 5: requests sent to the live API


# Two runs are enough to show "the better model wins the champion alias" in the tests.
_TINY_GRID: tuple[dict[str, Any], ...] = (
    {"model": "popularity"},
    {"model": "ease", "l2": 200.0},
)
_SMALL_GRID: tuple[dict[str, Any], ...] = (
    *_TINY_GRID,
    {"model": "item_knn", "neighbors": 50},
    {"model": "ease", "l2": 500.0},
    {"model": "svd", "factors": 16},
    {"model": "svd", "factors": 32},
)
# Twelve runs: week 8's checkpoint asks for 10+ MLflow experiments (the same grid as stage 3's).
_FULL_GRID: tuple[dict[str, Any], ...] = (
    {"model": "popularity"},
    *({"model": "item_knn", "neighbors": n} for n in (20, 50, 200)),
    *({"model": "ease", "l2": l2} for l2 in (50.0, 200.0, 500.0, 1000.0)),
    *({"model": "svd", "factors": f} for f in (8, 16, 32, 64)),
)

PROFILES: dict[DemoScale, ScaleProfile] = {
    DemoScale.TINY: ScaleProfile(
        orders_rows=2_000,
        log_bytes=3_000_000,
        log_days=0.25,
        log_engine="local",
        users=150,
        items=80,
        days=21,
        grid=_TINY_GRID,
        pipeline_days=3,
        orders_per_day=100,
        api_requests=40,
    ),
    DemoScale.SMALL: ScaleProfile(
        orders_rows=200_000,
        log_bytes=100_000_000,
        log_days=1.0,
        log_engine="dask",
        users=500,
        items=300,
        days=42,
        grid=_SMALL_GRID,
        pipeline_days=7,
        orders_per_day=500,
        api_requests=500,
    ),
    DemoScale.FULL: ScaleProfile(
        orders_rows=1_000_000,
        log_bytes=1_000_000_000,
        log_days=2.0,
        log_engine="dask",
        users=2_000,
        items=1_000,
        days=56,
        grid=_FULL_GRID,
        pipeline_days=30,
        orders_per_day=2_000,
        api_requests=5_000,
    ),
}


@dataclass(frozen=True)
class DemoSettings:
    """Where the demo writes, how big it runs, and which real services to use when set."""

    out: Path
    scale: DemoScale = DemoScale.SMALL
    database_url: str | None = None  # PostgreSQL for stage 4's warehouse; DuckDB when None
    redis_url: str | None = None  # Redis for stage 5's cache; no cache when None
    mlflow_tracking_uri: str | None = None  # an MLflow server; SQLite under ``out`` when None
    seed: int = 7

    @property
    def profile(self) -> ScaleProfile:
        """The sizes of this scale."""
        return PROFILES[self.scale]


def parse_scale(value: str) -> DemoScale:
    """``tiny``/``small``/``full`` (any case) or a clear error naming the choices."""
    try:
        return DemoScale(value.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in DemoScale)
        raise DemoConfigError(
            f"DEMO_SCALE={value!r} is not a scale; use one of: {choices}"
        ) from None


def load_settings(
    out: Path | None = None, scale: str | None = None, *, seed: int = 7
) -> DemoSettings:
    """Settings from arguments first, then ``DEMO_SCALE``, ``DATABASE_URL``, ``REDIS_URL``,
    ``MLFLOW_TRACKING_URI``; empty variables count as unset."""
    env = {k: v for k, v in os.environ.items() if v.strip()}
    database_url = env.get("DATABASE_URL")
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise DemoConfigError(
            f"DATABASE_URL={database_url!r} is not a PostgreSQL URL; "
            "use postgresql://user@host:5432/dbname or unset it for the embedded DuckDB"
        )
    return DemoSettings(
        out=(out or Path("reports/demo")).resolve(),
        scale=parse_scale(scale or env.get("DEMO_SCALE", DemoScale.SMALL.value)),
        database_url=database_url,
        redis_url=env.get("REDIS_URL"),
        mlflow_tracking_uri=env.get("MLFLOW_TRACKING_URI"),
        seed=seed,
    )
