"""Week-5 log analyzer: pandas chunks for streaming, dask.dataframe on a cluster for the batch.

Written the plain way: one regex with pandas' ``str.extract``; per-minute counts combined
across chunks with ``add(fill_value=0)``; anomalies against a rolling median of the previous
hour; ``follow`` polls the file like ``tail -F``.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import dask.dataframe as dd
import pandas as pd

LINE = r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)[^"]*" (\d{3}) (\S+) "[^"]*" "[^"]*"'
STAMP = "%d/%b/%Y:%H:%M:%S %z"
READ = dict(
    sep="\x1f",
    header=None,
    names=["line"],
    quoting=csv.QUOTE_NONE,
    dtype=str,
    encoding="utf-8",
    encoding_errors="replace",
)


def parse_lines(lines: pd.Series) -> pd.DataFrame:
    parts = lines.str.extract(LINE).dropna()
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(parts[1], format=STAMP, utc=True),
            "ip": parts[0],
            "method": parts[2],
            "path": parts[3],
            "status": parts[4].astype("int64"),
        }
    )


def minute_counts(records: pd.DataFrame) -> pd.DataFrame:
    minute = records["timestamp"].dt.floor("min")
    frame = pd.DataFrame(
        {"minute": minute, "requests": 1, "errors": (records["status"] >= 500).astype("int64")}
    )
    return frame.groupby("minute")[["requests", "errors"]].sum()


def _partition_counts(part: pd.DataFrame) -> pd.DataFrame:
    return minute_counts(parse_lines(part["line"])).reset_index()


class LogAnalyzer:
    def __init__(self, chunk_size: int = 10000):
        self.chunk_size = chunk_size

    def process_logs_stream(self, log_path: str) -> Iterator[pd.DataFrame]:
        for chunk in pd.read_csv(log_path, chunksize=self.chunk_size, **READ):
            yield parse_lines(chunk["line"])

    def analyze(self, log_path: str, engine: str = "local", scheduler: str | None = None):
        if engine == "dask":
            from distributed import Client, LocalCluster

            cluster = None if scheduler else LocalCluster(n_workers=2, threads_per_worker=1)
            with Client(scheduler or cluster) as client:
                lines = dd.read_csv(log_path, blocksize="8MB", **READ)
                meta = pd.DataFrame(
                    {
                        "minute": pd.Series(dtype="datetime64[ns, UTC]"),
                        "requests": pd.Series(dtype="int64"),
                        "errors": pd.Series(dtype="int64"),
                    }
                )
                parts = lines.map_partitions(_partition_counts, meta=meta)
                table = client.compute(parts.groupby("minute").sum()).result()
            if cluster is not None:
                cluster.close()
        else:
            table = None
            for chunk in self.process_logs_stream(log_path):
                counts = minute_counts(chunk)
                table = counts if table is None else table.add(counts, fill_value=0)
        table = table.sort_index().astype("int64")
        table["error_rate"] = table["errors"] / table["requests"]
        return table

    def detect_anomalies(self, df: dd.DataFrame) -> dd.DataFrame:
        minute = df["timestamp"].dt.floor("min")
        frame = df.assign(minute=minute, err=(df["status"] >= 500).astype("int64"))
        per = frame.groupby("minute").agg({"status": "count", "err": "sum"}).compute()
        per_ip = frame.groupby(["minute", "ip"])["status"].count().compute()
        per.columns = ["requests", "errors"]
        per = per.sort_index()  # minutes with data only: a missing minute is not a zero
        per["top"] = per_ip.groupby(level="minute").max()
        rest = per["requests"] - per["top"]
        rate = per["errors"] / per["requests"]
        for name, series in (("rest", rest), ("rate", rate)):
            med = series.rolling(60, min_periods=30).median().shift(1)
            mad = (series - med).abs().rolling(60, min_periods=30).median().shift(1)
            per[f"{name}_med"], per[f"{name}_sd"] = med, 1.4826 * mad
        # silences between minutes with data: sampling (regular) or an outage (long, unusual)
        epoch = pd.Timestamp(0, tz="UTC")
        index = pd.Series((per.index - epoch) // pd.Timedelta(minutes=1), index=per.index)
        silent = index.diff() - 1
        slot = (silent.median() if len(silent) > 1 else 0) + 1
        level = rest.rolling(60, min_periods=5).median().shift(1)
        outage = (silent >= 10) & (silent / slot >= 3) & (level * silent / slot >= 20)
        rows = []
        quiet_until = pd.Timestamp.min.tz_localize("UTC")
        for t, row in per.iterrows():
            if outage[t]:
                start = t - pd.Timedelta(minutes=int(silent[t]))
                rows.append((start, "outage", t))
                quiet_until = t + pd.Timedelta(minutes=30)
            if pd.isna(row["rest_med"]) or row["rest_med"] < 10:
                continue
            sd = max(row["rest_sd"], row["rest_med"] ** 0.5)
            z = (rest[t] - row["rest_med"]) / sd
            if rest[t] >= 2 * row["rest_med"] and z > 4 and t > quiet_until:
                rows.append((t, "traffic_surge", None))
            elif rest[t] <= 0.5 * row["rest_med"] and z < -4:
                rows.append((t, "traffic_drop", None))
            r = rate[t]
            if r > row["rate_med"] + max(6 * row["rate_sd"], 0.05) and row["errors"] >= 5:
                rows.append((t, "error_spike", None))
            if row["top"] >= 20 and row["top"] > 0.25 * row["requests"]:
                rows.append((t, "client_burst", None))
        out = pd.DataFrame(rows, columns=["minute", "kind", "end"])
        return dd.from_pandas(out, npartitions=1)

    def follow(self, log_path: str, poll_s: float = 0.2, lateness_s: float = 1.0):
        stamp = re.compile(rb"\[([^\]]+)\]")
        counts: Counter[int] = Counter()
        fh, inode, rest = None, None, b""
        while True:
            if fh is None:
                try:
                    fh = open(log_path, "rb")
                    inode = os.fstat(fh.fileno()).st_ino
                except FileNotFoundError:
                    time.sleep(poll_s)
                    continue
            data = fh.read()
            if data:
                lines = (rest + data).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    m = stamp.search(line)
                    if m:
                        when = datetime.strptime(m.group(1).decode(), STAMP)
                        counts[int(when.timestamp()) // 60 * 60] += 1
            else:
                try:
                    st = os.stat(log_path)
                except FileNotFoundError:
                    st = None
                if st is not None and st.st_ino != inode:
                    fh.close()
                    fh = None
                    continue
                if st is not None and st.st_size < fh.tell():
                    fh.seek(0)
            now = time.time()
            for m in sorted(m for m in counts if m + 60 + lateness_s <= now):
                yield pd.DataFrame(
                    {"minute": [pd.Timestamp(m, unit="s", tz="UTC")], "requests": [counts.pop(m)]}
                )
            time.sleep(poll_s)
