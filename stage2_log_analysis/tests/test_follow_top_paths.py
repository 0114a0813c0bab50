"""Follow mode emits each closed minute's top paths and top client, like the batch output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from stage2_log_analysis.follow import (
    LIVE_COLUMNS,
    TOP_PATH_COLUMNS,
    LiveAggregator,
    follow_log,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def _line(t: datetime, path: str, ip: str = "192.0.2.1") -> bytes:
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" 200 10 "-" "ua"\n'.encode()


def _minute(m: int, paths: dict[str, int], ip: str = "192.0.2.1") -> bytes:
    """``paths[p]`` requests for each path ``p`` during minute ``m`` after T0."""
    out = b""
    s = 0
    for path, n in paths.items():
        for _ in range(n):
            out += _line(T0 + timedelta(minutes=m, seconds=s % 60), path, ip)
            s += 1
    return out


def test_each_closed_minute_carries_its_top_path_and_ranked_paths():
    agg = LiveAggregator(lateness_s=1, top_n_paths=2)
    agg.add(_minute(0, {"/a?x=1": 2, "/b": 3, "/a?y=2": 2, "/c": 1}))
    agg.add(_minute(1, {"/z": 2, "/y": 2}, ip="198.51.100.7"))
    # minute 2 is silent; a line in minute 3 keeps the stream going
    agg.add(_minute(3, {"/late": 1}))
    rows = agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=3, seconds=2)))
    assert list(rows.columns) == LIVE_COLUMNS
    assert rows["minute"].tolist() == [pd.Timestamp(T0 + timedelta(minutes=i)) for i in range(3)]
    assert rows["top_path"].iloc[0] == "/a"  # query strings dropped: /a 4 beats /b 3
    assert rows["top_path_requests"].tolist() == [4, 2, 0]
    assert rows["top_path"].iloc[1] == "/y"  # a tie goes to the path name, as in batch
    assert pd.isna(rows["top_path"].iloc[2])  # the silent minute
    assert rows["top_ip"].iloc[1] == "198.51.100.7"
    assert rows["top_ip_requests"].tolist() == [8, 4, 0]
    top = agg.last_top_paths
    assert list(top.columns) == TOP_PATH_COLUMNS
    got = list(top[["rank", "path", "requests"]].itertuples(index=False, name=None))
    assert got == [(1, "/a", 4), (2, "/b", 3), (1, "/y", 2), (2, "/z", 2)]
    # minute 3 is still open: its path waits for its own close
    rows = agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=4, seconds=2)))
    assert rows["top_path"].tolist() == ["/late"]
    assert agg.last_top_paths["path"].tolist() == ["/late"]


def test_follow_log_hands_top_paths_over_with_each_batch(tmp_path: Path):
    path = tmp_path / "live.log"
    path.write_bytes(
        _minute(0, {"/home": 5, "/api": 2})
        + _minute(1, {"/api": 4, "/home": 1})
        + _minute(2, {"/x": 5})  # seconds 0-4: past the lateness, so 0 and 1 close
    )
    batches: list[pd.DataFrame] = []
    frames = list(
        follow_log(
            path,
            lateness_s=1,
            poll_s=0.01,
            clock="event",
            on_top_paths=batches.append,
            stop=lambda: bool(batches),  # minute 2 never closes on event time: stop after 0-1
        )
    )
    rows = pd.concat(frames, ignore_index=True)
    top = pd.concat(batches, ignore_index=True)
    assert rows["top_path"].tolist() == ["/home", "/api"]
    assert set(top["minute"]) == set(rows["minute"])
    assert top[top["rank"] == 1]["path"].tolist() == rows["top_path"].tolist()
    assert top.groupby("minute")["requests"].sum().tolist() == rows["requests"].tolist()


def test_the_live_columns_keep_one_parquet_schema_even_for_silent_minutes(tmp_path: Path):
    agg = LiveAggregator(lateness_s=1)
    agg.add(_minute(0, {"/a": 1}))
    busy = agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=1, seconds=2)))
    silent = agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=3, seconds=2)))
    assert silent["requests"].tolist() == [0, 0]
    busy.to_parquet(tmp_path / "busy.parquet", index=False)
    silent.to_parquet(tmp_path / "silent.parquet", index=False)
    a = pq.read_schema(tmp_path / "busy.parquet").field("top_path").type
    b = pq.read_schema(tmp_path / "silent.parquet").field("top_path").type
    assert a == b and "string" in str(a)
