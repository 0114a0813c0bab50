"""Robust baselines of a per-minute series that has gaps: rolling, hour-of-day, EWMA.

Every baseline of minute *t* is built from minutes with data strictly before *t*, so a flag is
the same after the fact and live. The series is sparse (minutes without data are absent, not
zeros), and the cost of each baseline is bounded by the number of minutes with data, never by
the time span: a log with one line dated ten years ahead costs one more row, not five
million empty minutes.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["MAD_TO_SIGMA", "ewma_skipping_flags", "rolling_median_mad", "seasonal_median_mad"]

MAD_TO_SIGMA = 1.4826  # MAD × this estimates σ for normal noise
_CHUNK = 1 << 16  # rows per NumPy batch: bounded working memory (chunk × window floats)


def _median_of_rows(sorted_rows: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median of each row's first ``count`` values (rows sorted, NaNs last); NaN if empty."""
    k = np.maximum(count, 1)
    lo = np.take_along_axis(sorted_rows, ((k - 1) // 2)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(sorted_rows, (k // 2)[:, None], axis=1)[:, 0]
    return np.where(count > 0, (lo + hi) / 2, np.nan)


def rolling_median_mad(
    values: np.ndarray,
    minutes: np.ndarray,
    *,
    window: int,
    max_age: int,
    min_periods: int,
    through: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD·1.4826 of the previous ``window`` values not older than ``max_age``.

    ``minutes`` are the rows' times in whole minutes (increasing). A row whose window holds
    fewer than ``min_periods`` values gets NaN: no baseline, no flag. ``through=True`` ends
    each window at the row itself (the baseline *after* it: what a silence that follows is
    judged by). Vectorised with a strided view (no Python loop), in chunks so memory stays
    ``chunk × window`` floats.
    """
    n = len(values)
    med = np.full(n, np.nan)
    sigma = np.full(n, np.nan)
    if n == 0:
        return med, sigma
    lead = window - 1 if through else window
    never = np.iinfo(np.int64).min // 2
    pad_v = np.concatenate([np.full(lead, np.nan), values.astype(float)])
    pad_t = np.concatenate([np.full(lead, never), minutes.astype(np.int64)])
    now = minutes.astype(np.int64) + (1 if through else 0)
    for s in range(0, n, _CHUNK):
        e = min(s + _CHUNK, n)
        vals = sliding_window_view(pad_v, window)[s:e]  # row i: its window of values
        times = sliding_window_view(pad_t, window)[s:e]
        fresh = times >= (now[s:e, None] - max_age)
        win = np.where(fresh, vals, np.nan)
        count = np.count_nonzero(~np.isnan(win), axis=1)
        m = _median_of_rows(np.sort(win, axis=1), count)
        dev = np.sort(np.abs(win - m[:, None]), axis=1)
        mad = _median_of_rows(dev, count)
        ok = count >= min_periods
        med[s:e] = np.where(ok, m, np.nan)
        sigma[s:e] = np.where(ok, mad * MAD_TO_SIGMA, np.nan)
    return med, sigma


def seasonal_median_mad(
    values: np.ndarray,
    minutes: np.ndarray,
    *,
    days: int,
    min_days: int,
    min_minutes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD·1.4826 of the same UTC hour on the ``days`` previous days.

    For a minute on day *d* at hour *h*, the baseline pools every minute with data of hour *h*
    on days *d-1* .. *d-days*. It exists only when at least ``min_days`` of those days have
    ``min_minutes`` minutes with data in that hour. Computed with Polars joins over the
    (day, hour) cells that have data, so a long or gappy span costs nothing extra.
    """
    n = len(values)
    nan = np.full(n, np.nan)
    if days <= 0 or n == 0:
        return nan, nan.copy()
    cells = pl.DataFrame(
        {"day": minutes // 1440, "hour": (minutes % 1440) // 60, "v": values.astype(float)}
    )
    targets = cells.select("day", "hour").unique()
    # every value, copied to each of the ``days`` following days it is history for
    history = pl.concat([cells.with_columns(pl.col("day") + k) for k in range(1, days + 1)]).join(
        targets, on=["day", "hour"], how="semi"
    )
    per_source = (
        pl.concat(
            [
                cells.group_by("day", "hour")
                .agg(pl.len().alias("n"))
                .with_columns(pl.col("day") + k)
                for k in range(1, days + 1)
            ]
        )
        .filter(pl.col("n") >= min_minutes)
        .group_by("day", "hour")
        .agg(pl.len().alias("seen_days"))
    )
    stats = (
        history.group_by("day", "hour")
        .agg(pl.col("v").median().alias("med"))
        .join(per_source, on=["day", "hour"], how="inner")
        .filter(pl.col("seen_days") >= min_days)
    )
    mad = (
        history.join(stats.select("day", "hour", "med"), on=["day", "hour"])
        .group_by("day", "hour")
        .agg((pl.col("v") - pl.col("med")).abs().median().alias("mad"))
    )
    stats = stats.join(mad, on=["day", "hour"])
    out = cells.join(stats, on=["day", "hour"], how="left", maintain_order="left")
    med = out["med"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    sigma = out["mad"].cast(pl.Float64).fill_null(np.nan).to_numpy() * MAD_TO_SIGMA
    return med, sigma


def ewma_skipping_flags(
    share: np.ndarray,
    top: np.ndarray,
    *,
    alpha: float,
    min_periods: int,
    jump: float,
    min_top: float,
) -> tuple[np.ndarray, np.ndarray]:
    """EWMA of ``share`` that skips flagged minutes, and the flags (share > EWMA + ``jump``).

    A flagged minute does not move the baseline, so a long burst cannot teach the baseline
    that it is normal. One pass in Python: each step depends on the flags before it.
    """
    n = len(share)
    base = np.full(n, np.nan)
    flagged = np.zeros(n, dtype=bool)
    level = float("nan")
    seen = 0
    tops = top.tolist()
    for i, v in enumerate(share.tolist()):
        base[i] = level
        if seen >= min_periods and v > level + jump and tops[i] >= min_top:
            flagged[i] = True
            continue
        level = v if seen == 0 else alpha * v + (1 - alpha) * level
        seen += 1
    return base, flagged
