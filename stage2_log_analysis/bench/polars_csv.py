"""Polars contender: the same "read the log as a space-separated CSV" trick, in Polars.

    python polars_csv.py LOG OUT.parquet

``scan_csv`` with ``separator=' '``, ``quote_char='"'``, no header, every column a string,
``truncate_ragged_lines`` and ``ignore_errors``, then the per-minute group-by. Polars has no
escape character: a ``\\"`` inside a user agent ends the quoted field early and an unclosed
quote (a truncated line) runs into the next lines, so its counts can be wrong; the benchmark
checks them. A ``.gz`` log is read whole into memory (``scan_csv`` cannot stream it). Prints
one JSON line (seconds, requests, minutes).
"""

from __future__ import annotations

import gzip
import json
import sys
import time

import polars as pl

#: Columns of a combined log (+ request time) as the CSV reader splits it: the time stamp is
#: two fields (``[10/Oct/2026:13:55:36`` and ``+0000]``). Shorter lines get nulls.
COLUMNS = ["ip", "ident", "usr", "ts", "tz", "request", "status", "bytes", "referer", "agent"]
COLUMNS += ["rt"]


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    options = {
        "separator": " ",
        "quote_char": '"',
        "has_header": False,
        "new_columns": COLUMNS,
        "schema": dict.fromkeys(COLUMNS, pl.String),
        "truncate_ragged_lines": True,
        "ignore_errors": True,
    }
    if gz:
        with gzip.open(path, "rb") as fh:
            lf = pl.read_csv(fh.read(), **options).lazy()  # type: ignore[arg-type]
    else:
        lf = pl.scan_csv(path, **options)  # type: ignore[arg-type]
    status = pl.col("status").cast(pl.Int16, strict=False)
    minute = (
        (pl.col("ts") + " " + pl.col("tz"))
        .str.to_datetime("[%d/%b/%Y:%H:%M:%S %z]", strict=False)
        .dt.convert_time_zone("UTC")
        .dt.truncate("1m")
        .alias("minute")
    )
    table = (
        lf.select(minute, status.alias("status"))
        .filter(pl.col("minute").is_not_null() & pl.col("status").is_not_null())
        .group_by("minute")
        .agg(
            pl.len().alias("requests"),
            *((pl.col("status") // 100 == k).sum().alias(f"status_{k}xx") for k in (2, 3, 4, 5)),
        )
        .collect()
    )
    table.write_parquet(out)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"seconds": seconds, "requests": int(table["requests"].sum()), "minutes": table.height}
        )
    )


if __name__ == "__main__":
    main()
