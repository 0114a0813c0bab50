"""Problem 2 with a list of latencies per hour (mean and max computed at the end)."""

from collections import defaultdict
from datetime import datetime
from itertools import islice

import pandas as pd


def process_large_log(file_path: str, chunk_size: int = 10000):
    latencies = defaultdict(list)
    with open(file_path, encoding="utf-8", errors="replace") as f:
        while chunk := list(islice(f, chunk_size)):
            for line in chunk:
                fields = line.split(maxsplit=4)
                if len(fields) < 4 or fields[1] != "ERROR" or not fields[3].isdigit():
                    continue
                try:
                    when = datetime.strptime(fields[0], "%Y-%m-%dT%H:%M:%SZ")
                except ValueError:
                    continue
                latencies[when.replace(minute=0, second=0)].append(int(fields[3]))
    return pd.DataFrame(
        [(h, len(v), sum(v) / len(v), max(v)) for h, v in sorted(latencies.items())],
        columns=["hour", "error_count", "mean_latency_ms", "max_latency_ms"],
    )
