"""Facts about the machine a figure was measured on, recorded beside the figure.

A timing means little without the cores it ran on and how busy they were: every result file
the repo commits carries these facts (docs/measuring.md: ratios from one run, load recorded).
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["cpu_model", "machine_facts"]


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "?"


def machine_facts(*, load_before: tuple[float, float, float] | None = None) -> dict[str, Any]:
    """Cores, CPU model, Python, platform and load averages now (and before, when given)."""
    load = os.getloadavg()
    facts: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_1m": round(load[0], 2),
        "load_5m": round(load[1], 2),
        "load_15m": round(load[2], 2),
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if load_before is not None:
        facts["load_1m_before"] = round(load_before[0], 2)
    return facts
