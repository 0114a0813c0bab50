"""Fault injection for the upstream: transient 5xx, timeouts, truncated files, broken days."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

__all__ = ["Fault", "FaultConfig", "FaultInjector"]


class Fault(StrEnum):
    """What the upstream does wrong to one request."""

    NONE = "none"
    HTTP_5XX = "http_5xx"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"
    BROKEN_DAY = "broken_day"


class FaultConfig(BaseModel):
    """Fault rates per request, plus days that fail permanently or serve bad data.

    ``broken_days`` answer 500 to every request until removed ("the upstream is down for that
    day"); ``corrupt_days`` serve data that breaches the quality SLA until removed.
    """

    http_5xx_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    truncate_rate: float = Field(default=0.0, ge=0, le=1)
    broken_days: set[date] = Field(default_factory=set)
    corrupt_days: set[date] = Field(default_factory=set)
    seed: int = 11

    @property
    def transient_rate(self) -> float:
        """Probability that one request meets a transient fault."""
        return self.http_5xx_rate + self.timeout_rate + self.truncate_rate


class FaultInjector:
    """Draws the fault of each request from a seeded stream and counts what it injected."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def reconfigure(self, config: FaultConfig) -> None:
        """Swap the fault plan (e.g. "fix" a broken day) without restarting the server."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def draw(self, day: date) -> Fault:
        """The fault for one request about ``day`` (thread-safe)."""
        with self._lock:
            cfg = self.config
            if day in cfg.broken_days:
                fault = Fault.BROKEN_DAY
            else:
                r = self._rng.random()
                if r < cfg.http_5xx_rate:
                    fault = Fault.HTTP_5XX
                elif r < cfg.http_5xx_rate + cfg.timeout_rate:
                    fault = Fault.TIMEOUT
                elif r < cfg.transient_rate:
                    fault = Fault.TRUNCATED
                else:
                    fault = Fault.NONE
            self.counts[fault.value] += 1
            return fault

    def is_corrupt(self, day: date) -> bool:
        """True when ``day`` is set to serve SLA-breaching data."""
        return day in self.config.corrupt_days
