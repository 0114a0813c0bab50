"""Read what the graded code returned into plain tables, or say clearly what shape was wrong.

The interface's fixed shapes (the stage README and the exercise skeleton say the same):

* ``process_logs_stream`` yields pandas DataFrames with ``timestamp`` (UTC; naive means UTC)
  and an integer ``status``;
* ``analyze`` returns the per-minute statistics: a pandas or Dask DataFrame with ``minute``
  (a column or the index) and ``requests``, plus ``errors`` (a count) or ``error_rate``; an
  object with such a frame as its ``minutes`` attribute is accepted too;
* ``detect_anomalies`` returns a Dask (or pandas) DataFrame with ``minute`` and ``kind``;
* ``follow`` yields DataFrames with ``minute`` and ``requests``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

__all__ = [
    "ERROR_COLUMNS",
    "KINDS",
    "ShapeError",
    "add_record_counts",
    "as_pandas",
    "flag_ends",
    "flag_rows",
    "minute_epochs",
    "minute_table",
]

#: The anomaly kinds the grader knows (a flag of any other kind is counted as a false flag).
KINDS = ("error_spike", "traffic_surge", "traffic_drop", "client_burst", "outage")
#: Accepted names of the per-minute error count, then of the error rate.
ERROR_COLUMNS = ("errors", "status_5xx", "server_errors", "error_count")


class ShapeError(Exception):
    """The graded code returned something of the wrong shape (the message says what and where)."""


def as_pandas(value: Any, where: str) -> pd.DataFrame:
    """A pandas DataFrame from a pandas or Dask DataFrame (computed), else a ShapeError."""
    if value is None:
        raise ShapeError(f"{where} returned None; it must return a DataFrame")
    if hasattr(value, "compute") and hasattr(value, "columns"):
        value = value.compute()
    if not isinstance(value, pd.DataFrame):
        raise ShapeError(f"{where} returned {type(value).__name__}, not a DataFrame")
    return value


def minute_epochs(values: Any) -> pd.Series:
    """Minute starts as epoch seconds (UTC); naive timestamps are taken as UTC."""
    stamps = pd.to_datetime(pd.Series(values), utc=True)
    return ((stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds() // 60 * 60).astype("int64")


def _with_minute_column(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    if "minute" in frame.columns:
        return frame.reset_index(drop=True)
    if isinstance(frame.index, pd.DatetimeIndex) or frame.index.name == "minute":
        return frame.rename_axis("minute").reset_index()
    raise ShapeError(
        f"{where}: no 'minute' column or DatetimeIndex (columns: {list(frame.columns)[:8]})"
    )


def minute_table(result: Any, where: str) -> pd.DataFrame:
    """The per-minute statistics ``analyze`` returned: minute (epoch s), requests, errors?"""
    if result is not None and not hasattr(result, "columns") and hasattr(result, "minutes"):
        result = result.minutes
        where += ".minutes"
    frame = _with_minute_column(as_pandas(result, where), where)
    if "requests" not in frame.columns:
        raise ShapeError(f"{where}: no 'requests' column (columns: {list(frame.columns)[:8]})")
    out = pd.DataFrame(
        {
            "minute": minute_epochs(frame["minute"]).to_numpy(),
            "requests": pd.to_numeric(frame["requests"]).to_numpy(),
        }
    )
    for name in ERROR_COLUMNS:
        if name in frame.columns:
            out["errors"] = pd.to_numeric(frame[name]).to_numpy()
            out.attrs["errors_column"] = name
            break
    if "errors" not in out.columns and "error_rate" in frame.columns:
        out["error_rate"] = pd.to_numeric(frame["error_rate"]).to_numpy()
    return out


def flag_rows(result: Any, where: str) -> list[tuple[int, str]]:
    """(minute epoch s, kind) of every flag ``detect_anomalies`` returned."""
    frame = _with_minute_column(as_pandas(result, where), where)
    if "kind" not in frame.columns:
        raise ShapeError(f"{where}: no 'kind' column (columns: {list(frame.columns)[:8]})")
    if frame.empty:
        return []
    minutes = minute_epochs(frame["minute"]).tolist()
    return [(int(m), str(k)) for m, k in zip(minutes, frame["kind"].tolist(), strict=True)]


def flag_ends(result: Any, where: str) -> list[int | None]:
    """The ``end`` (epoch s) of each flag when the frame has one (an outage spans minutes)."""
    frame = _with_minute_column(as_pandas(result, where), where)
    if "end" not in frame.columns or frame.empty:
        return [None] * len(frame)
    ends = pd.to_datetime(frame["end"], utc=True)
    secs = (ends - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return [None if pd.isna(x) else int(x) for x in secs.tolist()]


def add_record_counts(chunk: Any, counts: Counter[tuple[int, int]], where: str) -> int:
    """Add one chunk of records to (minute, status class) counts; returns its row count."""
    if not isinstance(chunk, pd.DataFrame):
        raise ShapeError(f"{where} yielded {type(chunk).__name__}, not a pandas DataFrame")
    missing = [c for c in ("timestamp", "status") if c not in chunk.columns]
    if missing:
        raise ShapeError(
            f"{where} yielded a DataFrame without {missing} (has {list(chunk.columns)[:8]})"
        )
    if chunk.empty:
        return 0
    keys = pd.DataFrame(
        {
            "m": minute_epochs(chunk["timestamp"]).to_numpy(),
            "c": pd.to_numeric(chunk["status"]).to_numpy() // 100,
        }
    )
    grouped = keys.groupby(["m", "c"]).size()
    for m, c, n in zip(
        grouped.index.get_level_values("m").tolist(),
        grouped.index.get_level_values("c").tolist(),
        grouped.tolist(),
        strict=True,
    ):
        counts[(int(m), int(c))] += int(n)
    return len(chunk)
