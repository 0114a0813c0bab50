"""Problem 2, written the plain way: a list of lines per chunk, a dict of running totals."""

from datetime import datetime

import pandas as pd


def process_chunk(lines, totals):
    for line in lines:
        parts = line.split(" ", 4)
        if len(parts) < 4 or parts[1] != "ERROR":
            continue
        timestamp, _, _, latency = parts[:4]
        latency = latency.strip()
        if not latency.isdigit():
            continue
        try:
            when = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
        hour = when.replace(minute=0, second=0)
        count, total, biggest = totals.get(hour, (0, 0, 0))
        totals[hour] = (count + 1, total + int(latency), max(biggest, int(latency)))


def process_large_log(file_path: str, chunk_size: int = 10000):
    totals = {}
    chunk = []
    with open(file_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            chunk.append(line)
            if len(chunk) == chunk_size:
                process_chunk(chunk, totals)
                chunk = []
    process_chunk(chunk, totals)
    rows = []
    for hour in sorted(totals):
        count, total, biggest = totals[hour]
        rows.append(
            {
                "hour": hour,
                "error_count": count,
                "mean_latency_ms": total / count,
                "max_latency_ms": biggest,
            }
        )
    return pd.DataFrame(rows, columns=["hour", "error_count", "mean_latency_ms", "max_latency_ms"])
