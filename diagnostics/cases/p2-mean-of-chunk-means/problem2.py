"""FLAWED on purpose (merges chunks by averaging each chunk's per-hour mean latency). Otherwise: per-hour statistics of ERROR lines, reading a huge log chunk by chunk.

Line format: ``<YYYY-MM-DDTHH:MM:SSZ> <LEVEL> <service> <latency_ms> <message...>``.
Memory stays flat because only one chunk of lines and one small record per hour are alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import pandas as pd

__all__ = ["COLUMNS", "process_large_log"]

COLUMNS = ["hour", "error_count", "mean_latency_ms", "max_latency_ms"]
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class _HourStats:
    """Running aggregates of one hour: sums and maxima merge exactly across chunks, means do not."""

    count: int = 0
    latency_sum: int = 0
    latency_max: int = 0


def process_large_log(file_path: str, chunk_size: int = 10000) -> pd.DataFrame:
    """One row per hour with ERROR lines: hour, error_count, mean_latency_ms, max_latency_ms.

    ``chunk_size`` is a number of lines; the result is the same for any value >= 1.
    Malformed lines are skipped; their count is in ``result.attrs["malformed_lines"]``.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1 line, got {chunk_size}")
    hours: dict[datetime, _HourStats] = {}
    malformed = 0
    means: dict[datetime, list[float]] = {}
    with open(file_path, encoding="utf-8", errors="replace") as fh:
        while chunk := list(islice(fh, chunk_size)):
            part: dict[datetime, _HourStats] = {}
            malformed += _add_chunk(chunk, part)
            for hour, s in part.items():
                merged = means.setdefault(hour, [])
                merged.append(s.latency_sum / s.count)  # FLAW: a mean per chunk...
                total = hours.setdefault(hour, _HourStats())
                total.count += s.count
                total.latency_max = max(total.latency_max, s.latency_max)
    frame = pd.DataFrame(
        [
            (hour, s.count, sum(means[hour]) / len(means[hour]), s.latency_max)  # ...averaged
            for hour, s in sorted(hours.items())
        ],
        columns=COLUMNS,
    )
    frame["hour"] = pd.to_datetime(frame["hour"])
    frame = frame.astype(
        {"error_count": "int64", "mean_latency_ms": "float64", "max_latency_ms": "int64"}
    )
    frame.attrs["malformed_lines"] = malformed
    return frame


def _add_chunk(lines: list[str], hours: dict[datetime, _HourStats]) -> int:
    """Fold the ERROR lines of one chunk into ``hours``; return how many lines were malformed."""
    malformed = 0
    for line in lines:
        fields = line.split(maxsplit=4)
        if len(fields) < 4:
            malformed += 1
            continue
        timestamp, level, _service, latency = fields[:4]
        if level != "ERROR":  # only ERROR lines need their other fields checked
            continue
        if not (latency.isascii() and latency.isdigit()):
            malformed += 1
            continue
        try:
            when = datetime.strptime(timestamp, TIMESTAMP_FORMAT)
        except ValueError:
            malformed += 1
            continue
        stats = hours.setdefault(when.replace(minute=0, second=0), _HourStats())
        stats.count += 1
        stats.latency_sum += int(latency)
        stats.latency_max = max(stats.latency_max, int(latency))
    return malformed
