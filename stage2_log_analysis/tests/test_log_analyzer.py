"""The roadmap's interface: LogAnalyzer and process_large_log, on real Dask DataFrames."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd
import pytest

from stage2_log_analysis import LogAnalyzer, process_large_log
from stage2_log_analysis.errors import AnalysisConfigError
from stage2_log_analysis.scoring import score_incidents


def test_process_logs_stream_yields_bounded_chunks_of_every_record(tiny_log):
    path, truth = tiny_log
    analyzer = LogAnalyzer(chunk_size=1000)
    chunks = list(analyzer.process_logs_stream(path))
    assert all(len(c) <= 1000 for c in chunks)
    total = sum(len(c) for c in chunks)
    assert total == sum(truth.minutes["requests"])
    assert analyzer.lines_read == truth.lines
    assert analyzer.lines_read - analyzer.lines_rejected == total
    assert list(chunks[0].columns) == [
        "timestamp",
        "ip",
        "method",
        "path",
        "status",
        "bytes",
        "request_time",
    ]
    assert str(chunks[0]["timestamp"].dt.tz) == "UTC"


def test_detect_anomalies_on_records_finds_the_incidents(small_log):
    path, truth = small_log
    analyzer = LogAnalyzer(chunk_size=50_000)
    records = pd.concat(analyzer.process_logs_stream(path), ignore_index=True)
    ddf = dd.from_pandas(records, npartitions=4)
    flags = analyzer.detect_anomalies(ddf)
    assert isinstance(flags, dd.DataFrame)
    score = score_incidents(flags.compute(), truth)
    assert (score.precision, score.recall) == (1.0, 1.0), (score.missed, score.false_alarms)


def test_analyze_method_matches_stream_totals(tiny_log):
    path, truth = tiny_log
    result = LogAnalyzer().analyze(path, engine="local")
    assert int(result.minutes["requests"].sum()) == sum(truth.minutes["requests"])


def test_process_large_log_keeps_only_errors_per_hour(tiny_log):
    path, truth = tiny_log
    hourly = process_large_log(path, chunk_size=5000)
    assert hourly.index.name == "hour"
    assert list(hourly.columns) == ["errors", "client_errors", "server_errors", "distinct_ips"]
    assert int(hourly["errors"].sum()) == sum(truth.minutes["status_4xx"]) + sum(
        truth.minutes["status_5xx"]
    )
    assert int(hourly["server_errors"].sum()) == sum(truth.minutes["status_5xx"])


def test_log_analyzer_rejects_a_bad_chunk_size():
    with pytest.raises(AnalysisConfigError, match="chunk_size"):
        LogAnalyzer(chunk_size=0)
