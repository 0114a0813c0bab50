"""The parser loses at most the broken line itself, and says when a file is not a log at all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stage2_log_analysis.errors import LogFileNotFound, NotALogError
from stage2_log_analysis.formats import LogFormat, detect_format
from stage2_log_analysis.parser import count_lines, parse_block

GOOD = (
    b'203.0.113.9 - alice [10/Oct/2026:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.0" 200 2326 '
    b'"http://ex.com/" "Mozilla/5.0" 0.123\n'
)
TRICKY = [
    # escaped quotes inside the user agent
    b'198.51.100.7 - - [10/Oct/2026:13:55:37 +0000] "GET /b HTTP/1.1" 404 - "-" "Bot \\"x\\" 1.0"\n',
    # IPv6 client, '-' as bytes, common format (no referer / user agent)
    b'2001:db8::1 - - [10/Oct/2026:22:55:38 +0900] "POST /api HTTP/2.0" 201 -\n',
    # a TLS handshake sent to the HTTP port: garbage request, still a request
    b'192.0.2.1 - - [10/Oct/2026:13:55:39 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"\n',
]
BROKEN = [
    b'192.0.2.2 - - [10/Oct/2026:13:55:40 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (trunc\n',
    b"not a log line at all\n",
    b"\n",
    b'192.0.2.3 - - [99/Foo/2026:13:55:40 +0000] "GET / HTTP/1.1" 200 5\n',
]


def test_parse_block_keeps_every_good_line_around_broken_ones():
    data = GOOD + BROKEN[0] + TRICKY[0] + BROKEN[1] + TRICKY[1] + BROKEN[2] + TRICKY[2] + BROKEN[3]
    block = parse_block(data)
    assert block.lines == 8 == count_lines(data)
    assert block.parsed == 4
    assert block.rejected == 4
    assert block.parsed + block.rejected == block.lines
    assert block.frame["ip"].to_list() == [
        "203.0.113.9",
        "198.51.100.7",
        "2001:db8::1",
        "192.0.2.1",
    ]
    assert block.rejected_sample[0].startswith("192.0.2.2")


def test_parse_block_types_fields_and_converts_offsets_to_utc():
    data = GOOD + TRICKY[1] + TRICKY[2]
    frame = parse_block(data).frame
    row = frame.row(0, named=True)
    assert row["timestamp"] == datetime(2026, 10, 10, 20, 55, 36, tzinfo=UTC)
    assert (row["method"], row["path"], row["status"], row["bytes"]) == ("GET", "/a.gif", 200, 2326)
    assert row["request_time"] == pytest.approx(0.123)
    ipv6 = frame.row(1, named=True)
    assert ipv6["timestamp"] == datetime(2026, 10, 10, 13, 55, 38, tzinfo=UTC)
    assert ipv6["bytes"] == 0 and ipv6["request_time"] is None
    garbled = frame.row(2, named=True)
    assert garbled["method"] is None and garbled["status"] == 400


#: Formats real servers write by default that are "combined" with something around it.
SERVER_VARIANTS = [
    # Nginx's default ``main`` format: combined plus "$http_x_forwarded_for"
    b'203.0.113.10 - - [10/Oct/2026:13:56:00 +0000] "GET /x HTTP/1.1" 200 612 "-" '
    b'"curl/8.5" "10.0.0.1, 10.0.0.2"\n',
    # main plus $request_time and a key=value field after it
    b'203.0.113.11 - - [10/Oct/2026:13:56:01 +0000] "GET /y HTTP/1.1" 502 0 "-" "UA" "-" '
    b"0.004 upstream=10.0.0.9:8080\n",
    # Apache's vhost_combined: "host:port" before the client
    b'shop.example.com:443 203.0.113.12 - - [10/Oct/2026:13:56:02 +0000] "GET /z HTTP/1.1" '
    b'304 - "-" "Mozilla/5.0"\n',
]


def test_parse_block_reads_nginx_main_and_apache_vhost_variants():
    block = parse_block(b"".join(SERVER_VARIANTS) + BROKEN[0])
    assert (block.lines, block.parsed) == (4, 3)  # the unclosed quote is still refused
    frame = block.frame
    assert frame["ip"].to_list() == ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
    assert frame["path"].to_list() == ["/x", "/y", "/z"]
    assert frame["status"].to_list() == [200, 502, 304]


def test_parse_block_counts_a_last_line_without_newline():
    block = parse_block(GOOD + GOOD.rstrip(b"\n"))
    assert (block.lines, block.parsed) == (2, 2)


def test_parse_block_reads_nginx_json_lines():
    data = (
        b'{"time_iso8601":"2026-01-01T10:00:00+09:00","remote_addr":"::1",'
        b'"request":"GET /x?q=1 HTTP/1.1","status":"503","body_bytes_sent":"12","request_time":"0.5"}\n'
        b'{"broken json\n'
        b'{"time_local":"10/Oct/2026:13:55:36 -0700","remote_addr":"10.0.0.1",'
        b'"request_method":"POST","request_uri":"/y","status":404}\n'
    )
    block = parse_block(data, LogFormat.JSON)
    assert (block.lines, block.parsed, block.rejected) == (3, 2, 1)
    first, second = block.frame.rows(named=True)
    assert first["timestamp"] == datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert (first["path"], first["status"], first["request_time"]) == ("/x", 503, 0.5)
    assert (second["method"], second["path"], second["bytes"]) == ("POST", "/y", 0)


def test_detect_format_recognises_clf_and_json(tmp_path: Path):
    clf = tmp_path / "a.log"
    clf.write_bytes(GOOD * 10)
    assert detect_format(clf) is LogFormat.CLF
    js = tmp_path / "b.log"
    js.write_bytes(
        b'{"time_local":"10/Oct/2026:13:55:36 -0700","remote_addr":"1.2.3.4","request":"GET / HTTP/1.1","status":200}\n'
    )
    assert detect_format(js) is LogFormat.JSON


def test_detect_format_rejects_binary_and_csv_with_a_clear_error(tmp_path: Path):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(NotALogError, match="binary"):
        detect_format(binary)
    csv = tmp_path / "export.csv"
    csv.write_text("id,name\n1,a\n2,b\n")
    with pytest.raises(NotALogError, match="only 0 of the first 3 lines"):
        detect_format(csv)
    with pytest.raises(LogFileNotFound, match="no such file"):
        detect_format(tmp_path / "missing.log")


def test_whole_requests_aggregate_to_the_same_paths_as_split_ones(small_log):
    """The engines keep request lines whole and split only each hour's distinct requests."""
    from stage2_log_analysis.aggregate import partial_from_block

    path, _ = small_log
    data = path.read_bytes()[: 4 << 20]
    data = data[: data.rfind(b"\n") + 1] + GOOD + b"".join(TRICKY) + b"".join(BROKEN)
    split = partial_from_block(parse_block(data))
    whole = partial_from_block(parse_block(data, split_request=False))
    assert "request" in parse_block(data, split_request=False).frame.columns
    key = ["hour", "path"]
    assert split.paths["path"].null_count() > 0  # the garbage request has no path
    assert split.paths.sort(key, nulls_last=True).equals(whole.paths.sort(key, nulls_last=True))
    for table in ("status", "ips", "latency"):
        a, b = getattr(split, table), getattr(whole, table)
        assert a.sort(a.columns).equals(b.sort(b.columns))
