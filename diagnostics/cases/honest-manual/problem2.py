"""Problem 2 with epoch arithmetic: hours are whole multiples of 3600 s since 1970 (UTC)."""

import calendar
import time
from dataclasses import dataclass

import pandas as pd


@dataclass
class Hour:
    errors: int = 0
    latency_total: int = 0
    latency_max: int = 0


def chunked(handle, size):
    batch = []
    for line in handle:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def parse_error(line):
    """(epoch hour, latency) of a well-formed ERROR line, else None."""
    stamp, _, rest = line.partition(" ")
    level, _, rest = rest.partition(" ")
    if level != "ERROR":
        return None
    fields = rest.split(None, 2)
    if len(fields) < 2 or not fields[1].isascii() or not fields[1].isdigit():
        return None
    try:
        parsed = time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    seconds = calendar.timegm(parsed)  # the struct is UTC: timegm, not mktime
    return seconds - seconds % 3600, int(fields[1])


def process_large_log(file_path: str, chunk_size: int = 10000):
    hours: dict[int, Hour] = {}
    with open(file_path, encoding="utf-8", errors="replace") as handle:
        for batch in chunked(handle, chunk_size):
            for line in batch:
                parsed = parse_error(line)
                if parsed is None:
                    continue
                epoch_hour, latency = parsed
                stats = hours.setdefault(epoch_hour, Hour())
                stats.errors += 1
                stats.latency_total += latency
                stats.latency_max = max(stats.latency_max, latency)
    keys = sorted(hours)
    return pd.DataFrame(
        {
            "hour": pd.to_datetime(keys, unit="s"),
            "error_count": [hours[k].errors for k in keys],
            "mean_latency_ms": [hours[k].latency_total / hours[k].errors for k in keys],
            "max_latency_ms": [hours[k].latency_max for k in keys],
        },
        columns=["hour", "error_count", "mean_latency_ms", "max_latency_ms"],
    )
