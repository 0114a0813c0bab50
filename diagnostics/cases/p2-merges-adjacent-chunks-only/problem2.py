"""Problem 2 that streams: each chunk's hours are merged into the running list, where an hour
continues only the previous chunk's last hour (fine while the log is sorted by time)."""

from datetime import datetime
from itertools import islice

import pandas as pd


def chunk_totals(lines):
    """{hour: [count, total, peak]} of one chunk."""
    totals = {}
    for line in lines:
        fields = line.split(maxsplit=4)
        if len(fields) < 4 or fields[1] != "ERROR" or not fields[3].isdigit():
            continue
        try:
            when = datetime.strptime(fields[0], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
        latency = int(fields[3])
        entry = totals.setdefault(when.replace(minute=0, second=0), [0, 0, 0])
        entry[0] += 1
        entry[1] += latency
        entry[2] = max(entry[2], latency)
    return totals


def process_large_log(file_path: str, chunk_size: int = 10000):
    done = []  # [hour, count, total, peak], in time order
    with open(file_path, encoding="utf-8", errors="replace") as f:
        while chunk := list(islice(f, chunk_size)):
            for hour, (count, total, peak) in sorted(chunk_totals(chunk).items()):
                if done and done[-1][0] == hour:  # the hour goes on from the last chunk
                    done[-1][1] += count
                    done[-1][2] += total
                    done[-1][3] = max(done[-1][3], peak)
                else:
                    done.append([hour, count, total, peak])
    done.sort(key=lambda item: item[0])
    return pd.DataFrame(
        [(h, n, total / n, peak) for h, n, total, peak in done],
        columns=["hour", "error_count", "mean_latency_ms", "max_latency_ms"],
    )
