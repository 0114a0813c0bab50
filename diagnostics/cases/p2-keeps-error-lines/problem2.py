"""Problem 2 that filters in chunks and aggregates at the end."""

from datetime import datetime
from itertools import islice

import pandas as pd


def process_large_log(file_path: str, chunk_size: int = 10000):
    error_lines = []
    with open(file_path, encoding="utf-8", errors="replace") as f:
        while chunk := list(islice(f, chunk_size)):
            error_lines.extend(line for line in chunk if line.split(" ", 2)[1:2] == ["ERROR"])
    totals = {}
    for line in error_lines:
        fields = line.split(maxsplit=4)
        if len(fields) < 4 or not fields[3].isdigit():
            continue
        try:
            when = datetime.strptime(fields[0], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
        hour = when.replace(minute=0, second=0)
        count, total, peak = totals.get(hour, (0, 0, 0))
        latency = int(fields[3])
        totals[hour] = (count + 1, total + latency, max(peak, latency))
    return pd.DataFrame(
        [(h, c, t / c, p) for h, (c, t, p) in sorted(totals.items())],
        columns=["hour", "error_count", "mean_latency_ms", "max_latency_ms"],
    )
