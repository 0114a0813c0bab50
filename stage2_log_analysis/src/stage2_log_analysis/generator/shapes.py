"""Named shapes of real access logs, each a ``GeneratorConfig`` with its incidents planned.

Our default log is one busy day of continuous traffic. Real logs are often not: a sample
that keeps one minute of each hour, a small site at ~20 requests a minute, a year of
history, outages of hours, days missing from the archive, crawlers, skewed clocks. Each
shape below writes one of those, with its ground truth, so a detector can be scored on it
(``scoring.score_shape``). Incidents sit at fixed fractions of the span, so a bigger
``size_bytes`` stretches the span at the shape's traffic rate (``shape_config(...,
size_bytes=10**9)`` of ``sparse_hourly`` spans years).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from stage2_log_analysis.errors import AnalysisConfigError
from stage2_log_analysis.generator.config import (
    AVG_LINE_BYTES,
    ClockStep,
    GeneratorConfig,
    PlannedIncident,
    Sampling,
)

__all__ = ["SHAPES", "Shape", "shape_config"]

_START = datetime.fromisoformat("2026-01-05T00:00:00+00:00")


@dataclass(frozen=True)
class Shape:
    """A real-log shape: its span and traffic, and its incidents as (kind, at, minutes).

    ``at`` is a fraction of the span (0..1), so the plan stretches with the span.
    """

    description: str
    days: float
    rpm: float  # requests a minute in the minutes the log keeps (before the daily cycle)
    plan: tuple[tuple[str, float, int], ...]
    options: dict[str, object] = field(default_factory=dict)
    kept_fraction: float = 1.0

    def config(self, *, seed: int, size_bytes: int | None) -> GeneratorConfig:
        """The generator config; ``size_bytes`` (if given) stretches the span at this rate."""
        per_day = self.rpm * 1440 * self.kept_fraction * AVG_LINE_BYTES
        days = self.days if size_bytes is None else size_bytes / per_day
        size = int(per_day * days) if size_bytes is None else size_bytes
        total = int(days * 1440)
        plan = [
            PlannedIncident(kind=kind, start=int(at * total), minutes=minutes)
            for kind, at, minutes in self.plan
        ]
        return GeneratorConfig(
            size_bytes=size,
            seed=seed,
            days=days,
            start=_START,
            incident_plan=plan,
            **self.options,  # type: ignore[arg-type]
        )


SHAPES: dict[str, Shape] = {
    "sparse_hourly": Shape(
        "one minute of each hour kept (a sampled log), ~100 requests in each kept minute; "
        "a 5-hour outage swallows five samples",
        days=14,
        rpm=100,
        plan=(("outage", 0.6, 300),),
        options={"sampling": Sampling(every=60, keep=1), "diurnal_amplitude": 0.25},
        kept_fraction=1 / 60,
    ),
    "low_traffic": Shape(
        "a small site: ~20 requests a minute with a daily cycle, outages of 10 min, 45 min "
        "and 3 h, a scanner's burst (~60 a minute)",
        days=3,
        rpm=20,
        plan=(
            ("outage", 0.2, 10),
            ("client_burst", 0.35, 10),
            ("outage", 0.5, 45),
            ("outage", 0.75, 180),
        ),
        options={"n_clients": 300, "burst_factor": 3.0},
    ),
    "quiet_site": Shape(
        "~2 requests a minute: minutes without a request are normal here; a 2-hour outage",
        days=3,
        rpm=2,
        plan=(("outage", 0.5, 120),),
        options={"n_clients": 200},
    ),
    "long_span": Shape(
        "a year of history sampled one minute an hour, ~20 requests in each kept minute; "
        "a 10-hour outage and 5 days missing from the archive",
        days=365,
        rpm=20,
        plan=(("gap", 0.3, 5 * 1440), ("outage", 0.7, 600)),
        options={"sampling": Sampling(every=60, keep=1, offset=17), "n_clients": 500},
        kept_fraction=1 / 60,
    ),
    "outage_hours": Shape(
        "continuous traffic (~60 requests a minute) with outages of 10 min, 20 min and 3 h, "
        "and an error spike",
        days=2,
        rpm=60,
        plan=(
            ("outage", 0.25, 10),
            ("error_spike", 0.4, 10),
            ("outage", 0.55, 180),
            ("outage", 0.85, 20),
        ),
    ),
    "gap_days": Shape(
        "~15 requests a minute over 6 days with 2 days missing from the log and a 15-minute "
        "outage after it",
        days=6,
        rpm=15,
        plan=(("gap", 0.35, 2 * 1440), ("outage", 0.8, 15)),
        options={"n_clients": 300},
    ),
    "bot_bursts": Shape(
        "~40 requests a minute, a steady crawler taking 10% of it, and three bursts of a "
        "scanner hammering the site (~80 a minute)",
        days=2,
        rpm=40,
        plan=(("client_burst", 0.3, 8), ("client_burst", 0.55, 15), ("client_burst", 0.8, 5)),
        options={"bot_share": 0.1, "burst_factor": 2.0},
    ),
    "clock_skew": Shape(
        "~40 requests a minute logged at their start (lines out of order by up to 30 s), the "
        "clock stepped back 90 s and forward 2 min, and a 30-minute outage",
        days=2,
        rpm=40,
        plan=(("outage", 0.7, 30),),
        options={
            "clock_jitter_s": 30.0,
            "clock_steps": [ClockStep(at=1000, seconds=-90), ClockStep(at=2000, seconds=120)],
        },
    ),
}


def shape_config(name: str, *, seed: int = 42, size_bytes: int | None = None) -> GeneratorConfig:
    """The config of the named shape (see ``SHAPES``); unknown names list the known ones."""
    shape = SHAPES.get(name)
    if shape is None:
        known = ", ".join(sorted(SHAPES))
        raise AnalysisConfigError(f"unknown log shape {name!r}; use one of: {known}")
    return shape.config(seed=seed, size_bytes=size_bytes)
