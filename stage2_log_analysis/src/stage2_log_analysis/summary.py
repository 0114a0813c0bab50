"""Run-level figures a user looks for first: requests, clients, status classes, span, gaps."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel

from stage2_log_analysis.anomaly import AnomalyConfig
from stage2_log_analysis.anomaly.coverage import measure_coverage

__all__ = ["Gap", "RunSummary", "summarize_run"]

_MAX_GAPS = 20


class Gap(BaseModel):
    """A stretch of the span without a single request: ``[start, end)`` UTC."""

    start: datetime
    end: datetime
    minutes: int


class RunSummary(BaseModel):
    """The whole run in one table: what was in the logs and where the span has holes.

    ``gaps``: silences of at least ``gap_minutes`` (in a sampled log: longer than the usual
    silence between samples), the longest first, at most 20; ``gaps_total`` counts them all.
    """

    requests: int
    distinct_clients: int
    status_2xx: int
    status_3xx: int
    status_4xx: int
    status_5xx: int
    status_other: int
    bytes: int
    first_minute: datetime | None
    last_minute: datetime | None
    span_minutes: int
    minutes_with_data: int
    coverage: float  # minutes with data / span, days-long gaps left out
    sampled: bool  # the log looks like a sample (a minute kept every so often)
    sample_every_minutes: int | None
    gap_minutes: int
    gaps_total: int
    gaps_minutes_total: int
    gaps: list[Gap]


def summarize_run(
    minutes: pd.DataFrame,
    distinct_clients: int,
    config: AnomalyConfig | None = None,
    gap_minutes: int = 10,
) -> RunSummary:
    """Summarise a per-minute table with traffic (sparse, as ``analyze`` returns it)."""
    cfg = config or AnomalyConfig()
    busy = minutes[minutes["requests"] > 0] if not minutes.empty else minutes
    counts = {
        c: int(busy[c].sum()) if c in busy else 0
        for c in (
            "requests",
            "status_2xx",
            "status_3xx",
            "status_4xx",
            "status_5xx",
            "status_other",
            "bytes",
        )
    }
    if busy.empty:
        return RunSummary(
            **counts,
            distinct_clients=distinct_clients,
            first_minute=None,
            last_minute=None,
            span_minutes=0,
            minutes_with_data=0,
            coverage=0.0,
            sampled=False,
            sample_every_minutes=None,
            gap_minutes=gap_minutes,
            gaps_total=0,
            gaps_minutes_total=0,
            gaps=[],
        )
    index = pd.DatetimeIndex(busy.index)
    stamps = index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")
    t = stamps.as_unit("ns").asi8 // 60_000_000_000
    cov = measure_coverage(t, busy["requests"].to_numpy(dtype=float), 0, cfg)
    threshold = max(gap_minutes, cov.sample_gap + 1) if cov.sampled else gap_minutes
    where = np.flatnonzero(cov.after >= threshold)
    longest = where[np.argsort(-cov.after[where], kind="stable")][:_MAX_GAPS]
    gaps = [
        Gap(
            start=_stamp(t[i] + 1),
            end=_stamp(t[i] + 1 + cov.after[i]),
            minutes=int(cov.after[i]),
        )
        for i in longest.tolist()
    ]
    return RunSummary(
        **counts,
        distinct_clients=distinct_clients,
        first_minute=stamps[0].to_pydatetime(),
        last_minute=stamps[-1].to_pydatetime(),
        span_minutes=cov.span_minutes,
        minutes_with_data=len(t),
        coverage=round(cov.coverage, 4),
        sampled=cov.sampled,
        sample_every_minutes=cov.sample_gap + 1 if cov.sampled else None,
        gap_minutes=threshold,
        gaps_total=len(where),
        gaps_minutes_total=int(cov.after[where].sum()),
        gaps=gaps,
    )


def _stamp(minute: int) -> datetime:
    return pd.Timestamp(int(minute) * 60_000_000_000, tz="UTC").to_pydatetime()
