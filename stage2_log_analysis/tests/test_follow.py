"""Real-time mode: tail -F semantics and once-per-minute emission of closed minutes."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from stage2_log_analysis.follow import LIVE_COLUMNS, LiveAggregator, Tailer, follow_log


def _line(t: datetime, status: int = 200, ip: str = "192.0.2.1") -> bytes:
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET /x HTTP/1.1" {status} 10 "-" "ua"\n'.encode()


T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_tailer_returns_only_complete_lines(tmp_path: Path):
    path = tmp_path / "a.log"
    path.write_bytes(b"one\ntw")
    with Tailer(path) as tailer:
        assert tailer.poll() == b"one\n"
        with path.open("ab") as fh:
            fh.write(b"o\nthree\n")
        assert tailer.poll() == b"two\nthree\n"
        assert tailer.poll() == b""


def test_tailer_follows_rotation_and_truncation(tmp_path: Path):
    path = tmp_path / "a.log"
    path.write_bytes(b"1\n2\n")
    with Tailer(path) as tailer:
        assert tailer.poll() == b"1\n2\n"
        with path.open("ab") as fh:
            fh.write(b"3\n")
        os.rename(path, tmp_path / "a.log.1")  # logrotate: move, then a fresh file
        path.write_bytes(b"4\n")
        assert tailer.poll() == b"3\n4\n"
        assert tailer.rotations == 1
        path.write_bytes(b"")  # copytruncate
        assert tailer.poll() == b""
        path.write_bytes(b"5\n")
        assert tailer.poll() == b"5\n"
        assert tailer.truncations == 1


def test_live_aggregator_emits_each_minute_once_after_lateness():
    agg = LiveAggregator(lateness_s=2)
    agg.add(b"".join(_line(T0 + timedelta(seconds=s)) for s in range(0, 60, 10)))
    agg.add(_line(T0 + timedelta(seconds=61), status=503))
    assert agg.close_ready(pd.Timestamp(T0 + timedelta(seconds=61))).empty  # within lateness
    rows = agg.close_ready(pd.Timestamp(T0 + timedelta(seconds=62)))
    assert list(rows.columns) == LIVE_COLUMNS
    assert rows["minute"].tolist() == [pd.Timestamp(T0)]
    assert rows["requests"].tolist() == [6]
    assert agg.close_ready(pd.Timestamp(T0 + timedelta(seconds=63))).empty  # not twice
    agg.add(_line(T0 + timedelta(seconds=5)))  # too late for its minute: counted, dropped
    assert agg.late_lines == 1
    rows = agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=3, seconds=5)))
    assert rows["requests"].tolist() == [1, 0]  # the silent minute is emitted as zeros
    assert rows["status_5xx"].tolist() == [1, 0]


def test_follow_log_streams_minutes_across_a_rotation(tmp_path: Path):
    path = tmp_path / "live.log"
    path.write_bytes(b"".join(_line(T0 + timedelta(seconds=s)) for s in range(0, 60, 5)))
    done = threading.Event()

    def writer() -> None:
        time.sleep(0.3)
        with path.open("ab") as fh:
            fh.write(
                b"".join(_line(T0 + timedelta(minutes=1, seconds=s)) for s in range(0, 60, 20))
            )
        os.rename(path, tmp_path / "live.log.1")
        path.write_bytes(b"".join(_line(T0 + timedelta(minutes=2, seconds=s)) for s in (0, 30)))
        time.sleep(0.3)
        with path.open("ab") as fh:
            fh.write(_line(T0 + timedelta(minutes=3, seconds=10)))
        time.sleep(0.5)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    frames = list(follow_log(path, lateness_s=1, poll_s=0.05, clock="event", stop=done.is_set))
    thread.join()
    got = pd.concat(frames)
    assert got["minute"].tolist() == [pd.Timestamp(T0 + timedelta(minutes=i)) for i in range(3)]
    assert got["requests"].tolist() == [12, 3, 2]


def test_tailer_reads_a_big_existing_file_in_bounded_steps(tmp_path: Path):
    path = tmp_path / "big.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(1000)))
    with Tailer(path, max_read=100) as tailer:
        got = b""
        for _ in range(200):
            part = tailer.poll()
            assert len(part) <= 200
            got += part
        assert got == path.read_bytes()


def test_an_outage_is_flagged_live_while_the_log_is_silent():
    agg = LiveAggregator(lateness_s=0)
    for m in range(40):  # 40 busy minutes, 60 requests each
        agg.add(b"".join(_line(T0 + timedelta(minutes=m, seconds=s)) for s in range(60)))
    agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=40)))
    flagged = []
    for m in range(41, 51):  # the log goes silent: one close per minute, as with a wall clock
        rows = agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=m)))
        assert rows["requests"].tolist() == [0]
        flagged.append(rows["anomalies"].iloc[0])
    assert flagged[:4] == [""] * 4  # under outage_min_minutes: not yet an outage
    assert all(kind == "outage" for kind in flagged[4:])  # paged from the fifth silent minute
