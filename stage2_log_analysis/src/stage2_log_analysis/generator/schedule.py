"""When incidents happen: a random schedule after a warm-up, or the minutes a plan gives."""

from __future__ import annotations

import numpy as np

from stage2_log_analysis.generator.config import INCIDENT_KINDS, GeneratorConfig

__all__ = ["Scheduled", "schedule_incidents"]

#: (kind, first minute, end minute exclusive), minutes counted from the log's start.
Scheduled = tuple[str, int, int]


def schedule_incidents(
    rng: np.random.Generator, config: GeneratorConfig, total_minutes: int
) -> list[Scheduled]:
    """The incidents of a log: ``incident_plan`` if given, else a random one (or none)."""
    if config.incident_plan is not None:
        return [(p.kind, p.start, p.start + p.minutes) for p in config.incident_plan]
    if not config.incidents:
        return []
    return _random_schedule(rng, total_minutes, config.warmup_minutes)


def _random_schedule(rng: np.random.Generator, total_minutes: int, warmup: int) -> list[Scheduled]:
    """One incident every 1–3 hours after ``warmup``, the kinds in turn, 5–15 minutes each."""
    out: list[Scheduled] = []
    t = warmup
    i = 0
    while True:
        start = t + int(rng.integers(0, 60))
        duration = int(rng.integers(5, 16))
        if start + duration + 10 > total_minutes:
            return out
        out.append((INCIDENT_KINDS[i % len(INCIDENT_KINDS)], start, start + duration))
        i += 1
        t = start + duration + int(rng.integers(70, 150))
