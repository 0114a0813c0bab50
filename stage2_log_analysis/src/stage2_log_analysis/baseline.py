"""The naive baseline: what a learner writes first (pandas chunks + a regex), for comparison.

It reads the file with ``pd.read_csv(chunksize=...)`` one line per row, extracts fields with
``Series.str.extract`` and counts requests per minute and status class. Correct on clean logs,
but slow (the regex runs in Python's ``re``) and it trusts a loose pattern: a truncated line
that still has a status code is counted. The grader and the benchmark time it as the anchor.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

__all__ = ["NAIVE_REGEX", "analyze_naive"]

NAIVE_REGEX = r'^(\S+) \S+ \S+ \[([^\]]+)\] "[^"]*" (\d{3}) (\S+)'


def analyze_naive(path: str | Path, chunk_size: int = 100_000) -> pd.DataFrame:
    """Requests and 2xx..5xx counts per minute (UTC), the straightforward pandas way."""
    total: pd.DataFrame | None = None
    reader = pd.read_csv(
        path,
        sep="\x1f",
        header=None,
        names=["line"],
        quoting=csv.QUOTE_NONE,
        dtype=str,
        chunksize=chunk_size,
        compression="infer",
        encoding_errors="replace",
    )
    for chunk in reader:
        parts = chunk["line"].str.extract(NAIVE_REGEX)
        when = pd.to_datetime(parts[1], format="%d/%b/%Y:%H:%M:%S %z", errors="coerce", utc=True)
        status = pd.to_numeric(parts[2], errors="coerce")
        ok = when.notna() & status.notna()
        minute = when[ok].dt.floor("min").rename("minute")
        klass = ("status_" + (status[ok] // 100).astype(int).astype(str) + "xx").rename("class")
        counts = pd.crosstab(minute, klass)
        total = counts if total is None else total.add(counts, fill_value=0)
    columns = ["status_2xx", "status_3xx", "status_4xx", "status_5xx"]
    if total is None:
        return pd.DataFrame(columns=["requests", *columns])
    total = total.reindex(columns=columns, fill_value=0).fillna(0).astype("int64")
    total.columns.name = None
    total.insert(0, "requests", total.sum(axis=1))
    return total.sort_index()
