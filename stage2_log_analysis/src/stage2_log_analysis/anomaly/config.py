"""The detector's settings: defaults, their meaning, and loading them from a file or ``k=v``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stage2_log_analysis.errors import AnalysisConfigError

__all__ = ["AnomalyConfig", "load_anomaly_config"]


class AnomalyConfig(BaseModel):
    """Detector settings. The defaults were chosen on labelled logs (see the stage README).

    Baselines are built from the minutes that have data only: a silent minute is either an
    outage (flagged as such) or missing data, never a zero that later traffic is compared to.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: int = Field(default=60, ge=2, description="minutes with data in the rolling baselines")
    max_age_minutes: int = Field(
        default=180,
        ge=1,
        description="rolling baselines use no minute older than this (times the sampling "
        "interval in a sampled log): after a longer silence they start again",
    )
    min_periods: int = Field(
        default=15, ge=1, description="history a baseline needs before it is used"
    )
    z: float = Field(default=6.0, gt=0, description="robust z-score a minute must exceed")
    error_rate_floor: float = Field(
        default=0.05, ge=0, le=1, description="...and the 5xx rate must rise by at least this much"
    )
    surge_ratio: float = Field(
        default=2.0, gt=1, description="a surge is at least this × its baseline"
    )
    drop_ratio: float = Field(
        default=0.5, gt=0, lt=1, description="a drop is at most this × its baseline"
    )
    burst_share: float = Field(
        default=0.2, gt=0, le=1, description="busiest client's share up by this much is a burst"
    )
    burst_min_requests: int = Field(
        default=30, ge=1, description="...with at least this many requests"
    )
    ewma_alpha: float = Field(
        default=0.1, gt=0, le=1, description="weight of the newest minute in the EWMA"
    )
    min_requests: int = Field(
        default=20,
        ge=0,
        description="traffic floor: a minute with fewer requests cannot page (error spike, "
        "surge, burst), nor can a drop from a baseline below it",
    )
    seasonal_days: int = Field(
        default=7, ge=0, description="previous days the hour-of-day baseline looks at (0: off)"
    )
    seasonal_min_days: int = Field(
        default=2, ge=1, description="days that hour must have been seen on"
    )
    seasonal_min_minutes: int = Field(
        default=30, ge=1, le=60, description="minutes with data an hour needs to count as seen"
    )
    outage_min_minutes: int = Field(
        default=5, ge=1, description="a silence shorter than this is never an outage"
    )
    outage_min_expected: float = Field(
        default=50.0,
        gt=0,
        description="an outage is a silence in which the baseline expected at least this many "
        "requests (the traffic floor for outages)",
    )
    recovery_minutes: int = Field(
        default=15, ge=0, description="no surge is paged this long after an outage ends (retries)"
    )
    sampled_coverage: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="a log whose busy minutes cover less than this share of its span (long "
        "gaps left out) is treated as sampled",
    )
    sampled_min_requests: float = Field(
        default=10.0,
        ge=0,
        description="...if its median minute with data has at least this many requests",
    )
    sampled_missed_samples: int = Field(
        default=2,
        ge=1,
        description="in a sampled log, an outage is at least this many missing samples",
    )
    long_gap_minutes: int = Field(
        default=1440, ge=60, description="silences longer than this are left out of the coverage"
    )


def load_anomaly_config(
    path: str | Path | None = None, overrides: list[str] | None = None
) -> AnomalyConfig:
    """Settings from a TOML or JSON file (keys as in ``AnomalyConfig``), then ``key=value``s.

    **Usage**::

        load_anomaly_config("anomaly.toml", ["z=5", "min_requests=10"])
    """
    values: dict[str, object] = {}
    if path is not None:
        values.update(_read_file(Path(path)))
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AnalysisConfigError(f"anomaly setting {item!r}: write key=value, e.g. z=5")
        values[key.strip()] = value.strip()
    try:
        return AnomalyConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        known = ", ".join(AnomalyConfig.model_fields)
        raise AnalysisConfigError(
            f"anomaly settings rejected ({problems}); known settings: {known}"
        ) from None


def _read_file(path: Path) -> dict[str, object]:
    if not path.is_file():
        raise AnalysisConfigError(f"{path}: no such anomaly config file (TOML or JSON)")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise AnalysisConfigError(f"{path}: not valid {path.suffix or 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise AnalysisConfigError(
            f"{path}: expected a table of settings, got {type(data).__name__}"
        )
    section = data.get("anomaly", data)  # [anomaly] table, or the settings at the top level
    if not isinstance(section, dict):
        raise AnalysisConfigError(f"{path}: [anomaly] must be a table of settings")
    return dict(section)
