"""Problem 2: error counts per hour, with the hour's latency statistics."""

from datetime import datetime
from itertools import islice

import pandas as pd


def process_large_log(file_path: str, chunk_size: int = 10000):
    hours = {}  # hour -> [errors, latency sum, lines, latency max]
    with open(file_path, encoding="utf-8", errors="replace") as f:
        while chunk := list(islice(f, chunk_size)):
            for line in chunk:
                fields = line.split(maxsplit=4)
                if len(fields) < 4 or not fields[3].isdigit():
                    continue
                try:
                    when = datetime.strptime(fields[0], "%Y-%m-%dT%H:%M:%SZ")
                except ValueError:
                    continue
                entry = hours.setdefault(when.replace(minute=0, second=0), [0, 0, 0, 0])
                latency = int(fields[3])
                entry[0] += fields[1] == "ERROR"
                entry[1] += latency
                entry[2] += 1
                entry[3] = max(entry[3], latency)
    rows = [(h, e, total / n, peak) for h, (e, total, n, peak) in sorted(hours.items()) if e]
    return pd.DataFrame(rows, columns=["hour", "error_count", "mean_latency_ms", "max_latency_ms"])
