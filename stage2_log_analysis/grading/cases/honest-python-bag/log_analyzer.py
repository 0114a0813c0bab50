"""Log analyzer in plain Python: a line loop with ``re`` and ``Counter``, ``dask.bag`` for the
cluster, EWMA baselines for anomalies, and a follower that closes minutes by the wall clock.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

import dask.bag as db
import dask.dataframe as dd
import pandas as pd

PATTERN = re.compile(
    r'(?P<ip>\S+) \S+ \S+ \[(?P<ts>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+)[^"]*" '
    r'(?P<status>\d{3}) (?P<bytes>\S+) "[^"]*" "[^"]*"'
)
MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}
_epoch_cache: dict[str, int] = {}


def minute_of(ts: str) -> int:
    """UTC minute (epoch seconds) of '02/Mar/2026:00:00:01 +0900', cached per minute text."""
    key = ts[:17] + ts[20:]
    found = _epoch_cache.get(key)
    if found is None:
        found = int(datetime.strptime(ts[:17] + ":00" + ts[20:], "%d/%b/%Y:%H:%M:%S %z").timestamp())
        if len(_epoch_cache) > 100_000:
            _epoch_cache.clear()
        _epoch_cache[key] = found
    return found


def parse(line: str) -> tuple[int, str, int] | None:
    m = PATTERN.match(line)
    if m is None:
        return None
    return minute_of(m["ts"]), m["ip"], int(m["status"])


def count_lines(lines: Iterable[str]) -> list[dict[int, list[int]]]:
    """{minute: [requests, errors]} for some lines (one dict per bag partition)."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        rec = parse(line)
        if rec is not None:
            cell = out[rec[0]]
            cell[0] += 1
            cell[1] += rec[2] >= 500
    return [dict(out)]


def to_table(total: dict[int, list[int]]) -> pd.DataFrame:
    minutes = sorted(total)
    return pd.DataFrame(
        {
            "minute": pd.to_datetime(minutes, unit="s", utc=True),
            "requests": [total[m][0] for m in minutes],
            "errors": [total[m][1] for m in minutes],
        }
    )


class LogAnalyzer:
    def __init__(self, chunk_size: int = 10000):
        self.chunk_size = chunk_size

    def process_logs_stream(self, log_path: str) -> Iterator[pd.DataFrame]:
        rows: list[tuple[int, str, int]] = []
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                rec = parse(line)
                if rec is None:
                    continue
                rows.append(rec)
                if len(rows) == self.chunk_size:
                    yield self._frame(rows)
                    rows = []
        if rows:
            yield self._frame(rows)

    @staticmethod
    def _frame(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
        minute, ip, status = zip(*rows, strict=True)
        return pd.DataFrame(
            {"timestamp": pd.to_datetime(minute, unit="s", utc=True), "ip": ip, "status": status}
        )

    def analyze(self, log_path: str, engine: str = "local", scheduler: str | None = None):
        if engine != "dask":
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                return to_table(count_lines(fh)[0])
        from distributed import Client

        with Client(scheduler) if scheduler else Client(n_workers=2, threads_per_worker=1) as client:
            bag = db.read_text(log_path, blocksize="8MB", encoding="utf-8", errors="replace")
            parts = client.compute(bag.map_partitions(count_lines)).result()
        total: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for part in parts:
            for minute, (n, e) in part.items():
                total[minute][0] += n
                total[minute][1] += e
        return to_table(total)

    def detect_anomalies(self, df: dd.DataFrame) -> dd.DataFrame:
        frame = df.assign(minute=df["timestamp"].dt.floor("min"), e=(df["status"] >= 500).astype("int64"))
        per = frame.groupby("minute").agg({"status": "count", "e": "sum"}).compute().sort_index()
        top = frame.groupby(["minute", "ip"]).size().compute().groupby(level=0).max()
        stamps = [int(t.timestamp()) // 60 for t in per.index]  # minutes with data only
        gaps = sorted(b - a - 1 for a, b in zip(stamps, stamps[1:]))
        typical = gaps[len(gaps) // 2] if gaps else 0  # 0: continuous; 59: one minute an hour
        slot = typical + 1
        flags = []
        level = var = rate = None
        seen = 0
        quiet_until = -1
        previous = None
        for minute, row in per.iterrows():
            now = int(minute.timestamp()) // 60
            n, errors, busiest = int(row["status"]), int(row["e"]), int(top.get(minute, 0))
            others = n - busiest
            if previous is not None and level is not None and seen >= 5:
                silent = now - previous - 1
                slots = silent / slot
                if silent >= 10 and slots >= 3 and level * slots >= 20:
                    start = pd.Timestamp((previous + 1) * 60, unit="s", tz="UTC")
                    flags.append((start, "outage", pd.Timestamp(now * 60, unit="s", tz="UTC")))
                    quiet_until = now + 30  # the retries after it are no surge
            previous = now
            flagged = False
            if seen >= 30 and level is not None and var is not None and rate is not None:
                sd = max(var ** 0.5, level ** 0.5, 1.0)
                if level >= 10 and now > quiet_until and others > 2 * level and (others - level) / sd > 4:
                    flags.append((minute, "traffic_surge", None))
                    flagged = True
                elif level >= 10 and others < 0.5 * level and (level - others) / sd > 4:
                    flags.append((minute, "traffic_drop", None))
                    flagged = True
                if errors >= 5 and errors / n > rate + 0.05 and errors / n > 5 * rate:
                    flags.append((minute, "error_spike", None))
                    flagged = True
                if busiest >= 20 and busiest > 0.25 * n:
                    flags.append((minute, "client_burst", None))
                    flagged = True
            if not flagged:  # baselines learn from normal minutes only
                a = 0.05
                level = others if level is None else (1 - a) * level + a * others
                var = 0.0 if var is None else (1 - a) * var + a * (others - level) ** 2
                r = errors / n if n else 0.0
                rate = r if rate is None else (1 - a) * rate + a * r
                seen += 1
        out = pd.DataFrame(flags, columns=["minute", "kind", "end"])
        return dd.from_pandas(out, npartitions=1)

    def follow(self, log_path: str) -> Iterator[pd.DataFrame]:
        counts: Counter[int] = Counter()
        fh = None
        inode = None
        pending = ""
        while True:
            if fh is None and os.path.exists(log_path):
                fh = open(log_path, encoding="utf-8", errors="replace")
                inode = os.fstat(fh.fileno()).st_ino
            got_any = False
            while fh is not None:
                line = fh.readline()
                if not line:
                    break
                got_any = True
                if not line.endswith("\n"):
                    pending += line
                    continue
                rec = parse(pending + line)
                pending = ""
                if rec is not None:
                    counts[rec[0]] += 1
            if fh is not None and not got_any:
                try:
                    if os.stat(log_path).st_ino != inode:
                        fh.close()
                        fh = None
                        continue
                except FileNotFoundError:
                    pass
            cutoff = time.time() - 61.0
            for minute in sorted(m for m in counts if m <= cutoff):
                yield pd.DataFrame(
                    {"minute": [pd.Timestamp(minute, unit="s", tz="UTC")], "requests": [counts.pop(minute)]}
                )
            time.sleep(0.25)
