"""What to generate: the traffic model, its normal patterns and the incidents to inject."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field

from stage2_log_analysis.errors import AnalysisConfigError

__all__ = [
    "AVG_LINE_BYTES",
    "INCIDENT_KINDS",
    "ClockStep",
    "DailyStep",
    "GeneratorConfig",
    "PlannedIncident",
    "Sampling",
    "parse_size",
    "span_days",
]

#: Kinds the random schedule draws from (in turn), and every kind a plan may name.
INCIDENT_KINDS = ("error_spike", "traffic_surge", "client_burst", "traffic_drop")
_PLANNED_KINDS = "error_spike|traffic_surge|client_burst|traffic_drop|outage|gap"
AVG_LINE_BYTES = 170  # measured on this generator's combined output; sizes the traffic rate
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"10GB"`` → bytes (decimal units: 1GB = 10**9 bytes; ``GiB`` is binary)."""
    m = _SIZE_RE.match(text)
    if not m:
        raise AnalysisConfigError(f"size {text!r} is not a size; write e.g. 500MB, 1GB, 10GB")
    number, unit = float(m.group(1)), (m.group(2) or "B").upper()
    scale = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9}
    scale |= {"T": 1e12, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    if unit not in scale:
        raise AnalysisConfigError(f"size {text!r}: unknown unit {unit!r}; use KB, MB, GB or GiB")
    return int(number * scale[unit])


def span_days(size_bytes: int, max_days: float, min_rpm: float = 150.0) -> float:
    """The longest span up to ``max_days`` that keeps at least ``min_rpm`` requests a minute."""
    days = size_bytes / (AVG_LINE_BYTES * min_rpm * 1440)
    return max(min(days, max_days), 0.11)


class DailyStep(BaseModel):
    """A normal daily pattern: traffic × ``factor`` for ``minutes`` from ``hour`` every day."""

    hour: int = Field(ge=0, le=23)  # hour of day in the time zone of ``start``
    minutes: int = Field(default=60, ge=1, le=1440)
    factor: float = Field(default=3.0, gt=0)


class PlannedIncident(BaseModel):
    """An incident at a chosen place: ``kind`` from minute ``start`` (after the log's start).

    ``outage``: the service stops answering, so the log is silent; ``gap``: the service runs
    but this part of the log is missing (a lost rotated file). Both leave no line behind; the
    truth labels both ``outage`` (from the log alone they cannot be told apart).
    """

    kind: str = Field(pattern=f"^({_PLANNED_KINDS})$")
    start: int = Field(ge=0)
    minutes: int = Field(default=10, ge=1)


class Sampling(BaseModel):
    """Keep only ``keep`` minutes of every ``every`` (a sampled log: one minute an hour, ...)."""

    every: int = Field(default=60, ge=2)
    keep: int = Field(default=1, ge=1)
    offset: int = Field(default=0, ge=0)  # first kept minute of each period


class ClockStep(BaseModel):
    """The server clock jumps by ``seconds`` at minute ``at`` (an NTP correction; < 0 = back)."""

    at: int = Field(ge=0)
    seconds: float


class GeneratorConfig(BaseModel):
    """What to generate. The traffic rate follows from ``size_bytes``, ``days`` and sampling."""

    size_bytes: int = Field(gt=0)
    seed: int = 42
    days: float = Field(default=1.0, gt=0)
    start: datetime = datetime.fromisoformat("2026-03-02T00:00:00+09:00")
    fmt: str = Field(default="combined", pattern="^(combined|common|json)$")
    request_time: bool = True
    malformed_rate: float = Field(default=2e-5, ge=0, lt=0.5)
    n_clients: int = Field(default=2000, ge=10)
    incidents: bool = True
    warmup_minutes: int = Field(default=120, ge=30)
    daily_step: DailyStep | None = None
    incident_plan: list[PlannedIncident] | None = None  # replaces the random schedule
    diurnal_amplitude: float = Field(default=0.5, ge=0, lt=1)  # day/night swing of the rate
    sampling: Sampling | None = None  # None: every minute is in the log
    bot_share: float = Field(default=0.0, ge=0, lt=0.5)  # a steady crawler's share of traffic
    clock_jitter_s: float = Field(default=0.0, ge=0, le=300)  # logged time = start of request
    clock_steps: list[ClockStep] = Field(default_factory=list)
    burst_factor: float = Field(default=0.6, gt=0)  # a client_burst adds this × the base rate
    recovery_factor: float = Field(default=1.5, ge=1)  # retries right after an outage or gap
    recovery_minutes: int = Field(default=5, ge=0)
    min_rpm: float = Field(default=1.0, gt=0)  # refuse a size/span with less traffic than this


def validate_rate(config: GeneratorConfig, base_rpm: float) -> None:
    """Refuse a size and span that leave less than ``min_rpm`` requests a minute."""
    if base_rpm < config.min_rpm:
        raise AnalysisConfigError(
            f"size {config.size_bytes} B over {config.days} days is {base_rpm:.2f} requests a "
            f"minute (under {config.min_rpm}); raise the size or lower --days"
        )
