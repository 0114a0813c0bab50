"""Partial aggregates: what one block or byte range contributes, and how partials combine exactly.

Every field is a count or a sum keyed by minute (or hour), so combining partials is a
concatenation followed by a group-by sum: the order and the grouping of partials never change
the result. That is what lets the single-process engine, the Dask engine and the live ``follow``
mode share one kernel and agree to the row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from stage2_log_analysis.parser import SAMPLE_SIZE, ParsedBlock, request_path

__all__ = [
    "LATENCY_BASE",
    "TABLE_KEYS",
    "Partial",
    "combine_partials",
    "partial_from_block",
    "sum_frames",
]

#: Latency histogram buckets grow by 5%: a percentile read from it is within 5% of the exact one.
LATENCY_BASE = 1.05
_IP_HASH_SEED = 20260301


@dataclass
class Partial:
    """Counts contributed by some lines of a log (a block, a byte range, a whole file)."""

    status: pl.DataFrame  # minute, status_class, requests, bytes
    ips: pl.DataFrame  # minute, ip_hash, requests
    ip_names: pl.DataFrame  # ip_hash, ip
    paths: pl.DataFrame  # hour, path, requests
    latency: pl.DataFrame  # minute, bucket, requests
    lines: int = 0
    rejected: int = 0
    rejected_sample: list[str] = field(default_factory=list)
    bytes_read: int = 0  # uncompressed bytes of the lines (a .gz file counts what it holds)

    @classmethod
    def empty(cls) -> Partial:
        """The neutral element of ``combine_partials``."""
        return combine_partials([])


def partial_from_block(block: ParsedBlock) -> Partial:
    """Aggregate one parsed block per minute (five group-bys planned as one Polars query).

    A block parsed with ``split_request=False`` has whole request lines: they are counted
    per hour first, and only those distinct requests are split into paths.
    """
    whole_requests = "request" in block.frame.columns
    lf = block.frame.lazy().with_columns(
        pl.col("timestamp").dt.truncate("1m").alias("minute"),
        (pl.col("status") // 100).cast(pl.Int8).alias("status_class"),
        pl.col("ip").hash(seed=_IP_HASH_SEED).alias("ip_hash"),
    )
    count = pl.len().cast(pl.Int64).alias("requests")
    status, ips, ip_names, paths, latency = pl.collect_all(
        [
            lf.group_by("minute", "status_class").agg(count, pl.col("bytes").sum()),
            lf.group_by("minute", "ip_hash").agg(count),
            lf.select("ip_hash", "ip").unique("ip_hash"),
            lf.group_by(
                pl.col("timestamp").dt.truncate("1h").alias("hour"),
                "request" if whole_requests else "path",
            ).agg(count),
            lf.filter(pl.col("request_time").is_not_null())
            .group_by("minute", _latency_bucket(pl.col("request_time")).alias("bucket"))
            .agg(count),
        ]
    )
    if whole_requests:
        paths = (
            paths.lazy()
            .group_by("hour", request_path(pl.col("request")).alias("path"))
            .agg(pl.col("requests").sum())
            .collect()
        )
    return Partial(
        status,
        ips,
        ip_names,
        paths,
        latency,
        block.lines,
        block.rejected,
        block.rejected_sample,
        block.size,
    )


def _latency_bucket(seconds: pl.Expr) -> pl.Expr:
    ms = (seconds * 1000).clip(lower_bound=1.0)
    return (ms.log() / math.log(LATENCY_BASE)).ceil().cast(pl.Int16)


_EMPTY: dict[str, dict[str, Any]] = {
    "status": {
        "minute": pl.Datetime("us", "UTC"),
        "status_class": pl.Int8,
        "requests": pl.Int64,
        "bytes": pl.Int64,
    },
    "ips": {"minute": pl.Datetime("us", "UTC"), "ip_hash": pl.UInt64, "requests": pl.Int64},
    "ip_names": {"ip_hash": pl.UInt64, "ip": pl.String},
    "paths": {"hour": pl.Datetime("us", "UTC"), "path": pl.String, "requests": pl.Int64},
    "latency": {"minute": pl.Datetime("us", "UTC"), "bucket": pl.Int16, "requests": pl.Int64},
}


#: The summable tables of a ``Partial`` and their keys.
TABLE_KEYS: dict[str, list[str]] = {
    "status": ["minute", "status_class"],
    "ips": ["minute", "ip_hash"],
    "paths": ["hour", "path"],
    "latency": ["minute", "bucket"],
}


def sum_frames(frames: list[pl.DataFrame], name: str, keys: list[str]) -> pl.DataFrame:
    """Sum frames of one table of partials (``name`` in ``TABLE_KEYS``) by ``keys``."""
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame(schema=_EMPTY[name])
    if len(frames) == 1:
        return frames[0]
    value_cols = [c for c in frames[0].columns if c not in keys]
    # Polars' streaming engine aggregates in morsels instead of materialising the concatenation
    # and one hash table over it: the (minute, ip) table of a big log is what we hold most of.
    return (
        pl.concat(frames, rechunk=False)
        .lazy()
        .group_by(keys)
        .agg(pl.col(c).sum() for c in value_cols)
        .collect(engine="streaming")
    )


def combine_partials(partials: Iterable[Partial]) -> Partial:
    """Merge partials exactly (counts and sums add up; IP names are unioned)."""
    items = list(partials)
    names = [p.ip_names for p in items if p.ip_names.height]
    sample: list[str] = []
    for p in items:
        sample.extend(p.rejected_sample[: SAMPLE_SIZE - len(sample)])
    return Partial(
        status=sum_frames([p.status for p in items], "status", TABLE_KEYS["status"]),
        ips=sum_frames([p.ips for p in items], "ips", TABLE_KEYS["ips"]),
        ip_names=(
            pl.concat(names).unique("ip_hash") if names else pl.DataFrame(schema=_EMPTY["ip_names"])
        ),
        paths=sum_frames([p.paths for p in items], "paths", TABLE_KEYS["paths"]),
        latency=sum_frames([p.latency for p in items], "latency", TABLE_KEYS["latency"]),
        lines=sum(p.lines for p in items),
        rejected=sum(p.rejected for p in items),
        rejected_sample=sample,
        bytes_read=sum(p.bytes_read for p in items),
    )
