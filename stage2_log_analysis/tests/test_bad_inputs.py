"""The shapes real files have beyond our generator: odd bytes, clock jumps, disorder, gzip, junk.

Each case feeds the bad input and checks the documented outcome: the line costs only itself
(``parsed + rejected == lines``), the run's cost follows the file and not its time span, and
a file that cannot be analysed fails at once with an error naming it and the fix.
"""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.errors import NotALogError
from stage2_log_analysis.follow import LiveAggregator
from stage2_log_analysis.scoring import score_counts

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _line(t: datetime, ip: str = "192.0.2.1", path: str = "/x", status: int = 200) -> bytes:
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} 10 "-" "ua"\n'.encode()


def _steady(minutes: int, per_minute: int = 20) -> list[bytes]:
    return [
        _line(T0 + timedelta(minutes=m, seconds=s * 60 // per_minute), ip=f"192.0.2.{s}")
        for m in range(minutes)
        for s in range(per_minute)
    ]


@pytest.mark.parametrize(
    "odd",
    [
        b"\x1f",  # the parser's own column separator
        b"\x00",  # NUL inside a line (past the first 64 KB that format detection checks)
        b"\xff\xfe",  # not UTF-8
    ],
    ids=["0x1F", "NUL", "invalid-UTF-8"],
)
def test_odd_bytes_inside_a_line_cost_at_most_that_line(tmp_path: Path, odd: bytes):
    lines = _steady(60 * 4)  # ~4,800 lines, ~400 KB: past the 64 KB checked for NUL
    bad = _line(T0 + timedelta(minutes=230), path="/a" + odd.decode("latin-1") + "b")
    bad = bad.replace(b"/a" + odd.decode("latin-1").encode(), b"/a" + odd)
    path = tmp_path / "odd.log"
    path.write_bytes(b"".join(lines[:4000]) + bad + b"".join(lines[4000:]))
    result = analyze([path])
    r = result.report
    assert r.lines == len(lines) + 1 and r.parsed + r.rejected == r.lines
    assert r.parsed >= len(lines)  # every good line counted; the odd one parses or is rejected
    assert int(result.minutes["requests"].sum()) == r.parsed


def test_a_line_dated_ten_years_ahead_costs_one_row_not_five_million(tmp_path: Path):
    lines = _steady(100)
    path = tmp_path / "future.log"
    future = _line(T0 + timedelta(days=3653))
    path.write_bytes(b"".join(lines[:1000]) + future + b"".join(lines[1000:]))
    result = analyze([path])
    assert len(result.minutes) == 101  # the busy minutes and the far one, no empty minutes
    assert len(result.hourly) == 3 and len(result.daily) == 2
    s = result.report.summary
    assert s.span_minutes > 5_000_000 and s.minutes_with_data == 101
    assert s.gaps_total == 1 and s.gaps[0].minutes > 5_000_000
    peak = max(p.peak_rss_mb for p in result.report.phases)
    assert peak < 1024  # MemoryError (2.35 GiB of zero-filled minutes) before the fix


def test_lines_out_of_order_across_byte_ranges_give_the_same_statistics(tmp_path: Path):
    lines = _steady(120, per_minute=30)
    random.Random(3).shuffle(lines)
    path = tmp_path / "shuffled.log"
    path.write_bytes(b"".join(lines))
    ordered = tmp_path / "ordered.log"
    ordered.write_bytes(b"".join(sorted(lines, key=lambda b: b.split(b"[")[1][:20])))
    a = analyze([path], range_bytes=16_384, memory_budget_bytes=1 << 16)  # spills to disk
    b = analyze([ordered])
    assert a.report.spilled_bytes > 0
    pd.testing.assert_frame_equal(a.minutes, b.minutes)
    pd.testing.assert_frame_equal(a.hourly, b.hourly)
    pd.testing.assert_frame_equal(a.top_paths, b.top_paths)


def test_gzip_reports_throughput_on_the_bytes_it_holds(small_log, tmp_path: Path):
    path, _ = small_log
    gz = tmp_path / "access.log.gz"
    gz.write_bytes(gzip.compress(path.read_bytes(), compresslevel=6))
    report = analyze([gz]).report
    assert report.bytes_read == gz.stat().st_size
    assert report.uncompressed_bytes == path.stat().st_size > 3 * report.bytes_read
    run_s = report.seconds - report.startup_seconds
    assert report.mb_per_s == pytest.approx(report.uncompressed_bytes / 1e6 / run_s, rel=0.02)


def test_an_empty_file_and_a_file_of_junk_fail_at_once_with_the_reason(tmp_path: Path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    with pytest.raises(NotALogError, match="empty"):
        analyze([empty])
    junk = tmp_path / "junk.log"
    junk.write_bytes(
        b'192.0.2.1 - - [01/Mar/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "cut\n' * 50
    )
    with pytest.raises(NotALogError, match="only 0 of the first 50 lines parse"):
        analyze([junk])


def test_follow_survives_0x1f_and_a_clock_jump_without_months_of_zero_rows():
    agg = LiveAggregator(lateness_s=0)
    agg.add(b"".join(_steady(3)) + _line(T0 + timedelta(minutes=1)).replace(b"/x", b"/\x1f"))
    rows = agg.close_ready(pd.Timestamp(T0 + timedelta(minutes=3)))
    assert rows["requests"].tolist() == [20, 21, 20]
    agg.add(_line(T0 + timedelta(days=270)))  # a line nine months ahead
    rows = agg.close_ready(pd.Timestamp(T0 + timedelta(days=270, minutes=1)))
    assert len(rows) == agg.fill_limit + 1  # a day of zeros after the last busy minute, the line
    days = set(rows["minute"].dt.strftime("%Y-%m-%d"))
    assert len(days) <= 3  # was 281 daily partitions before the fix


def test_counts_stay_exact_on_a_log_with_a_skewed_clock(tmp_path: Path):
    from stage2_log_analysis.generator import generate_log, shape_config

    path = tmp_path / "skew.log"
    config = shape_config("clock_skew", seed=9).model_copy(
        update={"days": 1.0, "size_bytes": 2_500_000}
    )
    truth = generate_log(path, config)
    result = analyze([path], range_bytes=300_000)
    score = score_counts(result.minutes, truth, extra=("bytes", "distinct_ips"))
    assert score.minutes_exact == score.minutes_truth, score.first_mismatch


def test_two_hosts_logs_of_the_same_hours_merge_exactly(tiny_log, tmp_path: Path):
    path, _ = tiny_log
    lines = path.read_bytes().splitlines(keepends=True)
    a, b = tmp_path / "host-a.log", tmp_path / "host-b.log"
    a.write_bytes(b"".join(lines[0::2]))
    b.write_bytes(b"".join(lines[1::2]))
    merged = analyze([a, b], range_bytes=100_000, memory_budget_bytes=1 << 16)
    whole = analyze([path])
    pd.testing.assert_frame_equal(merged.minutes, whole.minutes)
    pd.testing.assert_frame_equal(merged.daily, whole.daily)
    assert merged.report.summary.distinct_clients == whole.report.summary.distinct_clients


def test_crlf_line_endings_give_the_same_statistics(tiny_log, tmp_path: Path):
    path, _ = tiny_log
    crlf = tmp_path / "windows.log"
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    a = analyze([crlf], range_bytes=100_000)  # ranges end inside "\r\n" pairs too
    b = analyze([path])
    assert a.report.rejected == b.report.rejected
    pd.testing.assert_frame_equal(a.minutes, b.minutes)
    pd.testing.assert_frame_equal(a.top_paths, b.top_paths)  # no "\r" left on a field
