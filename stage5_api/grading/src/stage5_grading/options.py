"""The grader's options (``GRADE_OPTS="--opt rate=1000 --opt duration=10"``) and their defaults.

The defaults are the roadmap's criteria as this grader measures them; smaller values shorten
a run. A shortened run never fails a learner for what it cannot judge: the criterion is then
*inconclusive* and the scorecard names the option that would judge it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gradekit.stages import GradeContext

__all__ = ["Options"]


@dataclass(frozen=True)
class Options:
    """Every option with its default (the full-size run)."""

    workers: int = 2
    """uvicorn workers when the grader starts the app itself (no usable Dockerfile CMD)."""
    rate: float = 2000.0
    """req/s offered by the open-loop latency test."""
    latency_duration: float = 30.0
    """seconds of the latency test that count."""
    latency_warmup: float = 2.0
    """seconds at the same rate before those, not counted (as wrk2 calibrates)."""
    connections: int = 1000
    """concurrent connections (and simultaneous requests) of the concurrency test."""
    duration: float = 20.0
    """seconds of the sustained 1000-connection run (wrk)."""
    replicas: int = 3
    """replicas behind nginx in the availability test."""
    avail_requests: int = 100_000
    """requests the availability test sends at least."""
    avail_connections: int = 64
    """connections of the availability load."""
    avail_max_s: float = 300.0
    """upper bound on the availability test's duration."""
    redis_down_s: float = 5.0
    """how long the availability test keeps Redis down."""
    monitor_requests: int = 2000
    """requests sent between two /metrics scrapes in the monitoring test."""
    ci_timeout: float = 600.0
    """seconds allowed for the workflow's lint and test commands together."""
    container_requests: int = 2000
    """predictions sent to the running container (16 connections)."""
    container_build_timeout: float = 1800.0
    """seconds allowed for building the image."""

    @classmethod
    def of(cls, ctx: GradeContext) -> Options:
        """The options of this run (``--opt NAME=VALUE``), defaults for the rest."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = ctx.options.get(f.name)
            if raw is None:
                continue
            kind = type(getattr(cls, f.name))
            try:
                values[f.name] = kind(float(raw)) if kind is int else kind(raw)
            except ValueError as exc:
                raise ValueError(
                    f"--opt {f.name}={raw!r}: expected a number like {getattr(cls, f.name)}"
                ) from exc
        return cls(**values)  # type: ignore[arg-type]

    def shortened(self, *names: str) -> list[str]:
        """Which of ``names`` are below their full-size default, as ``name=value`` texts."""
        full = Options()
        return [f"{n}={getattr(self, n):g}" for n in names if getattr(self, n) < getattr(full, n)]
