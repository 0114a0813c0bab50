"""Write a generated log and its ground truth, an hour of traffic at a time (atomically)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from stage2_log_analysis.generator.config import AVG_LINE_BYTES, GeneratorConfig, validate_rate
from stage2_log_analysis.generator.render import Tables, client_pool, render_block
from stage2_log_analysis.generator.schedule import schedule_incidents
from stage2_log_analysis.generator.traffic import TrafficModel, draw_block, max_skew_minutes
from stage2_log_analysis.generator.truth import (
    GroundTruth,
    Incident,
    TruthCounter,
    truth_path_for,
    write_truth_json,
)

__all__ = ["generate_log"]

_BLOCK_MINUTES = 60
_MIN_BLOCK_LINES = 1000  # a sparse log is drawn in longer blocks: per-block costs dominate


def _block_minutes(model: TrafficModel) -> int:
    """An hour of traffic at a time, or several when an hour holds few lines (same log)."""
    per_hour = model.base_rpm * _BLOCK_MINUTES * _kept_fraction(model.config)
    if per_hour >= _MIN_BLOCK_LINES:
        return _BLOCK_MINUTES  # the original generator's blocks: the same log for a seed
    return _BLOCK_MINUTES * min(int(np.ceil(5 * _MIN_BLOCK_LINES / max(per_hour, 1.0))), 24 * 7)


def _kept_fraction(config: GeneratorConfig) -> float:
    """Share of minutes that carry traffic at all (sampled logs keep a few minutes an hour)."""
    if config.sampling is None:
        return 1.0
    return min(config.sampling.keep / config.sampling.every, 1.0)


def _model(rng: np.random.Generator, config: GeneratorConfig) -> tuple[TrafficModel, list[str]]:
    total_minutes = max(int(config.days * 1440), config.warmup_minutes + 30)
    base_rpm = config.size_bytes / (
        AVG_LINE_BYTES * total_minutes * _kept_fraction(config) * (1 - _silent_share(config))
    )
    if config.daily_step is not None:  # keep the span: the step adds traffic every day
        step = config.daily_step
        base_rpm /= 1 + (step.factor - 1) * min(step.minutes, 1440) / 1440
    validate_rate(config, base_rpm)
    schedule = schedule_incidents(rng, config, total_minutes)
    clients = client_pool(rng, config.n_clients)
    weights = 1.0 / (np.arange(config.n_clients) + 5.0) ** 1.2
    cdf = np.cumsum(weights / weights.sum())
    burst_client = {
        s: int(rng.integers(config.n_clients // 2, config.n_clients))
        for (k, s, _) in schedule
        if k == "client_burst"
    }
    model = TrafficModel(
        config=config,
        base_rpm=base_rpm,
        schedule=schedule,
        cdf=cdf,
        burst_client=burst_client,
        bot_client=config.n_clients - 1,
    )
    return model, clients


def _silent_share(config: GeneratorConfig) -> float:
    """Share of the span that outages and gaps take (no traffic is spent there)."""
    if not config.incident_plan:
        return 0.0
    total = max(config.days * 1440, 1.0)
    silent = sum(p.minutes for p in config.incident_plan if p.kind in ("outage", "gap"))
    return min(silent / total, 0.9)


def generate_log(
    path: str | Path,
    config: GeneratorConfig,
    progress: Callable[[int], None] | None = None,
    *,
    shape: str | None = None,
) -> GroundTruth:
    """Write the log to ``path`` (atomically) and its truth to ``<path>.truth.json``.

    **Usage**::

        truth = generate_log("access.log", GeneratorConfig(size_bytes=100_000_000, days=1))
        truth.incidents[0].kind, truth.lines
    """
    rng = np.random.default_rng(config.seed)
    model, clients = _model(rng, config)
    tables = Tables(clients)
    start_epoch = int(config.start.timestamp()) // 60 * 60
    tz = config.start.utcoffset() or timedelta(0)
    counter = TruthCounter(start_epoch, config.n_clients, max_skew_minutes(config))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    written = lines = malformed = 0
    minute0 = 0
    block_minutes = _block_minutes(model)
    # a sampled or gapped log may stay silent for a while: stop at the span, not only the size
    last = max(int(config.days * 1440), config.warmup_minutes + 30) + 1440
    with tmp.open("wb") as fh:
        while written < config.size_bytes and minute0 < last:
            block = draw_block(rng, model, minute0, block_minutes)
            text, n_bad = render_block(block, tables, config, start_epoch, tz)
            fh.write(text)
            written += len(text)
            lines += len(block["minute"])
            malformed += n_bad
            minute0 += block_minutes
            counter.add(block, next_minute=minute0)
            if progress:
                progress(len(text))
    os.replace(tmp, target)
    incidents = [
        Incident(
            kind="outage" if k == "gap" else k,
            start=_utc(start_epoch + 60 * s),
            end=_utc(start_epoch + 60 * e),
            client=clients[model.burst_client[s]] if k == "client_burst" else None,
            detail="log missing (the service ran)" if k == "gap" else None,
        )
        for (k, s, e) in model.schedule
        if e <= minute0
    ]
    truth = GroundTruth(
        seed=config.seed,
        fmt=config.fmt,
        size_bytes=written,
        lines=lines,
        malformed_lines=malformed,
        minutes=counter.finish(),
        incidents=incidents,
        shape=shape,
    )
    write_truth_json(truth, truth_path_for(target))
    return truth


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)
