"""Problem 2 as a generator pipeline: lines -> chunks -> parsed errors -> running totals."""

import re
from collections import defaultdict
from datetime import datetime, timezone
from itertools import islice

import pandas as pd

LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})Z ERROR \S+ (\d+)(?:\s|$)")


def read_chunks(file_path, chunk_size):
    with open(file_path, encoding="utf-8", errors="replace") as handle:
        while True:
            chunk = list(islice(handle, chunk_size))
            if not chunk:
                return
            yield chunk


def parsed_errors(chunks):
    for chunk in chunks:
        for line in chunk:
            match = LINE.match(line)
            if match is None:
                continue
            try:
                when = datetime.fromisoformat(match.group(1)).replace(tzinfo=timezone.utc)
            except ValueError:
                continue
            yield when.replace(minute=0, second=0), int(match.group(2))


def process_large_log(file_path: str, chunk_size: int = 10000) -> pd.DataFrame:
    count = defaultdict(int)
    total = defaultdict(int)
    peak = defaultdict(int)
    for hour, latency in parsed_errors(read_chunks(file_path, chunk_size)):
        count[hour] += 1
        total[hour] += latency
        peak[hour] = max(peak[hour], latency)
    hours = sorted(count)
    return pd.DataFrame(
        {
            "hour": pd.to_datetime(hours, utc=True),
            "error_count": [count[h] for h in hours],
            "mean_latency_ms": [round(total[h] / count[h], 2) for h in hours],
            "max_latency_ms": [peak[h] for h in hours],
        }
    )
