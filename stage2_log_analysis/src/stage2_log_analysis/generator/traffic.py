"""Who requests what, when, with which answer: one block of minutes of traffic as NumPy arrays.

The rate of each minute follows a daily cycle, the daily step and the incidents scheduled in
the block; requests per minute are Poisson draws; clients follow a Zipf-like popularity.
Everything is drawn in the order of the original single-module generator, so a config that
uses none of the real-log shapes writes exactly the same log as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stage2_log_analysis.generator.config import GeneratorConfig
from stage2_log_analysis.generator.schedule import Scheduled

__all__ = ["N_AGENTS", "N_METHODS", "N_PATHS", "N_REFERERS", "TrafficModel", "draw_block"]

N_PATHS = 216  # len(render.PATHS)
N_AGENTS = 8
N_REFERERS = 4
N_METHODS = 10
BOT_AGENT = 7  # index of Googlebot in render.AGENTS
_SILENT = ("outage", "gap")


@dataclass
class TrafficModel:
    """What every block needs: the rate, the schedule, the clients and their popularity."""

    config: GeneratorConfig
    base_rpm: float
    schedule: list[Scheduled]
    cdf: np.ndarray  # cumulative popularity of the clients
    burst_client: dict[int, int]  # incident start minute -> index of the bursting client
    bot_client: int  # index of the steady crawler (used when bot_share > 0)

    def rate(self, minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per minute: request rate, 5xx probability, burst rate and bursting client (or -1)."""
        cfg = self.config
        hour_of_day = (minutes % 1440) / 60.0
        amp = cfg.diurnal_amplitude
        rate = self.base_rpm * (1.0 + amp * np.sin(2 * np.pi * (hour_of_day - 9.0) / 24.0))
        if cfg.daily_step is not None:
            step = cfg.daily_step
            since = (minutes - step.hour * 60) % 1440  # minutes since today's step began
            rate[since < step.minutes] *= step.factor
        err_p = np.full(len(minutes), 0.005)
        burst = np.zeros(len(minutes))
        burst_client = np.full(len(minutes), -1)
        silent = np.zeros(len(minutes), dtype=bool)
        for kind, s, e in self.schedule:
            sel = (minutes >= s) & (minutes < e)
            if kind in _SILENT:
                silent |= sel
                after = (minutes >= e) & (minutes < e + cfg.recovery_minutes)
                rate[after] *= cfg.recovery_factor  # clients retry once it answers again
                continue
            if not sel.any():
                continue
            if kind == "traffic_surge":
                rate[sel] *= 3.0
            elif kind == "traffic_drop":
                rate[sel] *= 0.2
            elif kind == "error_spike":
                err_p[sel] = 0.3
            elif kind == "client_burst":
                burst[sel] = cfg.burst_factor * self.base_rpm
                burst_client[sel] = self.burst_client[s]
        if cfg.sampling is not None:
            kept = cfg.sampling
            silent |= (minutes - kept.offset) % kept.every >= kept.keep
        rate[silent] = 0.0
        burst[silent] = 0.0
        return rate, err_p, burst, burst_client


def draw_block(
    rng: np.random.Generator, model: TrafficModel, minute0: int, n_minutes: int
) -> dict[str, np.ndarray]:
    """Every request of minutes ``[minute0, minute0 + n_minutes)``, in the order they end.

    ``minute`` and ``second`` are the *logged* time, counted from the log's start: the time
    the request started (``clock_jitter_s``) on the server's clock (``clock_steps``), so the
    lines of a skewed log are slightly out of order, as in a real Apache log.
    """
    cfg = model.config
    minutes = np.arange(minute0, minute0 + n_minutes)
    rate, err_p, burst, burst_client = model.rate(minutes)
    n = rng.poisson(rate)
    nb = rng.poisson(burst)
    per_minute = n + nb
    total = int(per_minute.sum())
    minute = np.repeat(minutes, per_minute)
    # within each minute, the first n lines are ordinary and the next nb the burst's
    starts = np.repeat(np.cumsum(per_minute) - per_minute, per_minute)
    is_burst = np.arange(total) - starts >= np.repeat(n, per_minute)
    second = rng.integers(0, 60, size=total)
    # Lines are written in time order: sort by second within the (already sorted) minutes.
    # A small-integer key lets NumPy use its radix sort.
    key = ((minute - minute0) * 60 + second).astype(np.int16 if n_minutes <= 500 else np.int32)
    order = np.argsort(key, kind="stable")
    minute, second, is_burst = minute[order], second[order], is_burst[order]
    client = np.searchsorted(model.cdf, rng.random(total))
    client = np.minimum(client, len(model.cdf) - 1)
    local = minute - minute0
    client = np.where(is_burst, burst_client[local], client)
    u = rng.random(total)
    p5 = err_p[local]
    status = np.select(
        [u < p5, u < p5 + 0.045, u < p5 + 0.045 + 0.08],
        [
            rng.choice([500, 502, 503], size=total),
            rng.choice([404, 403, 400], size=total),
            rng.choice([301, 302, 304], size=total),
        ],
        default=200,
    )
    status = np.where(is_burst, 404, status)
    size = rng.lognormal(8.0, 1.2, size=total).astype(np.int64)
    size = np.where(status == 304, 0, size)
    path = np.minimum(rng.zipf(1.3, size=total) - 1, N_PATHS - 1)
    malformed = rng.random(total) < cfg.malformed_rate
    block = {
        "minute": minute,
        "second": second,
        "client": client,
        "status": status,
        "bytes": size,
        "path": path,
        "agent": rng.integers(0, N_AGENTS, size=total),
        "referer": rng.integers(0, N_REFERERS, size=total),
        "method": rng.integers(0, N_METHODS, size=total),
        "request_time": np.round(rng.lognormal(-3.0, 1.0, size=total), 3),
        "burst": is_burst,
        "malformed": malformed,
    }
    if cfg.bot_share > 0 and total:
        bot = (rng.random(total) < cfg.bot_share) & ~is_burst
        block["client"] = np.where(bot, model.bot_client, block["client"])
        block["agent"] = np.where(bot, BOT_AGENT, block["agent"])
    if (cfg.clock_jitter_s > 0 or cfg.clock_steps) and total:
        _skew_clock(rng, cfg, block)
    return block


def _skew_clock(
    rng: np.random.Generator, cfg: GeneratorConfig, block: dict[str, np.ndarray]
) -> None:
    """Replace the (minute, second) of each line by the time the server's clock logged."""
    t = block["minute"] * 60 + block["second"]  # when the request ended (the line's place)
    logged = t.astype(np.float64)
    if cfg.clock_jitter_s > 0:
        logged -= rng.uniform(0, cfg.clock_jitter_s, size=len(t))  # logged at its start
    for step in cfg.clock_steps:
        logged[block["minute"] >= step.at] += step.seconds
    logged_s = np.maximum(np.floor(logged).astype(np.int64), 0)
    block["minute"] = logged_s // 60
    block["second"] = logged_s % 60


def max_skew_minutes(cfg: GeneratorConfig) -> int:
    """How many minutes before its block a line's logged time can fall (bounds the truth)."""
    back = cfg.clock_jitter_s + sum(-s.seconds for s in cfg.clock_steps if s.seconds < 0)
    return int(np.ceil(back / 60.0)) + 1
