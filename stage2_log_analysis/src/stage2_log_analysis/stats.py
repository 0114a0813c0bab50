"""Turn combined partial aggregates into the statistics tables (per minute, hour and day).

pandas does the teaching work here: the status-class × time ``pivot_table``. Polars does the
heavy group-bys (clients per period, latency histograms, the ranked top paths) because they
run over the biggest tables. Only periods with traffic get a row: a silent minute is
absent, so a log whose lines span ten years costs what its lines cost, not five million
empty minutes (the silences are reported by ``summary`` and judged by ``anomaly``).
"""

from __future__ import annotations

import pandas as pd
import polars as pl

from stage2_log_analysis.aggregate import LATENCY_BASE, Partial

__all__ = ["STAT_COLUMNS", "build_table", "coarsen", "top_paths"]

#: Columns of every statistics table (per minute, hour or day), in order.
STAT_COLUMNS = [
    "requests",
    "status_2xx",
    "status_3xx",
    "status_4xx",
    "status_5xx",
    "status_other",
    "bytes",
    "error_rate",
    "distinct_ips",
    "top_ip",
    "top_ip_requests",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
]
_FREQ = {"minute": ("1m", "min"), "hour": ("1h", "h"), "day": ("1d", "D")}
_CLASSES = {2: "status_2xx", 3: "status_3xx", 4: "status_4xx", 5: "status_5xx"}


def build_table(partial: Partial, level: str = "minute", *, aligned: bool = False) -> pd.DataFrame:
    """Statistics per ``level`` ("minute", "hour" or "day"): one row per period with traffic.

    Index: a tz-aware UTC ``DatetimeIndex`` named after the level. ``aligned=True`` says the
    partial's ``minute`` keys are already truncated to ``level`` (``coarsen``): its rows are
    then used as they are.
    """
    every, _ = _FREQ[level]
    grouped = aligned or level == "minute"
    table = _status_pivot(partial.status, every, level)
    if table.empty:
        return pd.DataFrame(columns=STAT_COLUMNS, index=pd.DatetimeIndex([], tz="UTC", name=level))
    table["error_rate"] = table["status_5xx"] / table["requests"]
    ips = _ip_stats(partial, every, level, grouped).reindex(table.index)
    table["distinct_ips"] = ips["distinct_ips"].fillna(0).astype("int64")
    table["top_ip"] = ips["top_ip"]
    table["top_ip_requests"] = ips["top_ip_requests"].fillna(0).astype("int64")
    lat = _latency_percentiles(partial.latency, every, level, grouped).reindex(table.index)
    for q in ("p50", "p95", "p99"):
        table[f"latency_{q}_ms"] = lat[q] if q in lat else float("nan")
    return table[STAT_COLUMNS]


def coarsen(partial: Partial, every: str = "1h") -> Partial:
    """The same counts with minutes truncated to ``every``: hourly and daily tables from it
    give the same result as from the minutes, from far fewer rows."""

    def sum_by(frame: pl.DataFrame, key: str) -> pl.DataFrame:
        values = [c for c in frame.columns if c not in ("minute", key)]
        return (
            frame.lazy()
            .with_columns(pl.col("minute").dt.truncate(every))
            .group_by("minute", key)
            .agg(pl.col(c).sum() for c in values)
            .collect()
        )

    return Partial(
        status=sum_by(partial.status, "status_class"),
        ips=sum_by(partial.ips, "ip_hash"),
        ip_names=partial.ip_names,
        paths=partial.paths,
        latency=sum_by(partial.latency, "bucket"),
    )


def _status_pivot(status: pl.DataFrame, every: str, level: str) -> pd.DataFrame:
    long = (
        status.with_columns(pl.col("minute").dt.truncate(every).alias(level))
        .group_by(level, "status_class")
        .agg(pl.col("requests").sum(), pl.col("bytes").sum())
        .to_pandas()
    )
    if long.empty:
        return pd.DataFrame()
    long["status_class"] = long["status_class"].map(_CLASSES).fillna("status_other")
    # The pivot: one row per period, one column per status class (a classic pandas reshape).
    pivot = long.pivot_table(
        index=level, columns="status_class", values="requests", aggfunc="sum", fill_value=0
    )
    pivot = pivot.reindex(columns=[*_CLASSES.values(), "status_other"], fill_value=0)
    pivot.columns.name = None
    pivot.index = pd.DatetimeIndex(pivot.index, name=level)
    pivot.insert(0, "requests", pivot.sum(axis=1))
    pivot["bytes"] = long.groupby(level)["bytes"].sum()
    return pivot.astype("int64")


def _ip_stats(partial: Partial, every: str, level: str, grouped: bool) -> pd.DataFrame:
    """Distinct clients and the busiest client per period (ties: the smallest hash, any engine)."""
    per = partial.ips.lazy()
    if grouped:  # one row per (period, client) already
        per = per.rename({"minute": level}) if level != "minute" else per
    else:  # coarser periods sum the (minute, client) rows
        per = (
            per.with_columns(pl.col("minute").dt.truncate(every).alias(level))
            .group_by(level, "ip_hash")
            .agg(pl.col("requests").sum())
        )
    top = pl.col("requests").max()
    out = (
        per.group_by(level)
        .agg(
            pl.len().alias("distinct_ips"),
            top.alias("top_ip_requests"),
            pl.col("ip_hash").filter(pl.col("requests") == top).min().alias("ip_hash"),
        )
        .join(partial.ip_names.lazy(), on="ip_hash", how="left")
        .select(level, "distinct_ips", pl.col("ip").alias("top_ip"), "top_ip_requests")
        .collect()
    )
    return out.to_pandas().set_index(level)


def _latency_percentiles(
    latency: pl.DataFrame, every: str, level: str, grouped: bool
) -> pd.DataFrame:
    """p50/p95/p99 per period from the 5% histogram: the first bucket reaching each share."""
    if latency.height == 0:
        return pd.DataFrame()
    hist = latency.lazy()
    if grouped:
        hist = hist.rename({"minute": level}) if level != "minute" else hist
    else:
        hist = (
            hist.with_columns(pl.col("minute").dt.truncate(every).alias(level))
            .group_by(level, "bucket")
            .agg(pl.col("requests").sum())
        )
    requests = pl.col("requests")
    share = (requests.cum_sum().over(level) / requests.sum().over(level)).alias("share")
    out = (
        hist.sort(level, "bucket")
        .with_columns(share)
        .group_by(level)  # keeps each group's rows in bucket order
        .agg(
            (LATENCY_BASE ** pl.col("bucket").filter(pl.col("share") >= q - 1e-12).first())
            .round(1)
            .alias(f"p{int(q * 100)}")
            for q in (0.50, 0.95, 0.99)
        )
        .collect()
    )
    return out.to_pandas().set_index(level)


def top_paths(partial: Partial, n: int = 10) -> pd.DataFrame:
    """The ``n`` most requested paths per hour (ties: by path name), ranked 1..n.

    One sort and a per-hour head in Polars: it stays fast over years of hours (a pandas
    ``groupby(level="hour").nlargest`` took ~25 s over 7,000 hours).
    """
    top = (
        partial.paths.lazy()
        .filter(pl.col("path").is_not_null())  # a request line with no path (e.g. TLS on :80)
        .sort(["hour", "requests", "path"], descending=[False, True, False])
        .group_by("hour", maintain_order=True)
        .head(n)
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("hour").alias("rank"))
        .select("hour", "rank", "path", "requests")
        .collect()
        .to_pandas()
    )
    if top.empty:
        return pd.DataFrame(columns=["hour", "rank", "path", "requests"])
    return top
