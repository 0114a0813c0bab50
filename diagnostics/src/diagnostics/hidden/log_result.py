"""Problem 2's result read back: the candidate's DataFrame as plain (hour, count, mean, max) rows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from diagnostics.hidden.candidate import CandidateFault

__all__ = ["COLUMNS", "Row", "result_rows", "total_errors"]

Row = tuple[datetime, int, float, float]
COLUMNS = ("hour", "error_count", "mean_latency_ms", "max_latency_ms")


def result_rows(result: object, call: str) -> list[Row]:
    """The candidate's DataFrame as (hour, count, mean, max) rows, in the order returned.

    Lenient on form (``hour`` may be the index, tz-aware or naive UTC, or text), strict on
    content: the four columns must exist, ``hour`` must hold datetimes (not numbers such as
    the hour of the day) and the others numbers.
    """
    frame = _frame(result, call)
    if pd.api.types.is_numeric_dtype(frame["hour"]) and not frame.empty:
        raise CandidateFault(
            f"{call} returned hours as numbers ({list(frame['hour'].head(3))}); expected "
            "datetimes, each the start of its hour"
        )
    try:
        hours = pd.to_datetime(frame["hour"], utc=True).dt.tz_convert(None)
        return [
            (h.to_pydatetime(), int(c), float(m), float(x))
            for h, c, m, x in zip(
                hours,
                frame["error_count"],
                frame["mean_latency_ms"],
                frame["max_latency_ms"],
                strict=True,
            )
        ]
    except (ValueError, TypeError, OverflowError) as exc:
        raise CandidateFault(
            f"{call} returned values that do not read as hours and numbers "
            f"({type(exc).__name__}: {str(exc)[:100]}); first rows: "
            f"{frame.head(2).to_dict('records')}"
        ) from None


def total_errors(result: object, call: str) -> int:
    """The sum of ``error_count``, whatever the hour column holds (for count-only checks)."""
    frame = _frame(result, call)
    try:
        return int(sum(int(c) for c in frame["error_count"]))
    except (ValueError, TypeError, OverflowError) as exc:
        raise CandidateFault(
            f"{call} returned error_count values that are not whole numbers ({exc})"
        ) from None


def _frame(result: object, call: str) -> pd.DataFrame:
    if not isinstance(result, pd.DataFrame):
        raise CandidateFault(
            f"{call} returned {type(result).__name__}; expected a pandas DataFrame"
        )
    frame = result
    if "hour" not in frame.columns and frame.index.name == "hour":
        frame = frame.reset_index()
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise CandidateFault(
            f"{call} returned a DataFrame without the column(s) {missing} "
            f"(it has {list(frame.columns)[:8]}); expected {list(COLUMNS)}"
        )
    return frame
