"""Stage 2 exercise: a real-time log analysis system (실시간 로그 분석 시스템).

Fill in the TODOs, then grade your work:

    make start-stage2                                  # copies this folder to workspace/stage2/
    make check-stage2 IMPL=workspace/stage2 GRADE_OPTS="--opt size=1GB"

Requirements (the roadmap's):
1. Process 10GB+ log files chunk by chunk           (10GB+ 로그 파일 청크 단위 처리)
2. Real-time statistics (requests per minute, error rate, ...)
3. An anomalous-pattern detection algorithm          (이상 패턴 탐지 알고리즘)
4. Save results in Parquet format
5. Distributed processing with Dask

IMPL layout: a folder with this file, ``log_analyzer.py`` (other modules beside it may be
imported from it; the grader's Dask workers import them from the same folder).

What the grader calls (keep these names, signatures and shapes):
- ``LogAnalyzer(chunk_size).process_logs_stream(log_path)`` yields pandas DataFrames of at
  most ``chunk_size`` parsed records, with at least ``timestamp`` (UTC; naive means UTC) and
  an integer ``status``. Malformed lines are skipped; every valid line counts exactly once.
- ``LogAnalyzer(chunk_size).analyze(log_path, engine="local" | "dask", scheduler=None)``
  analyses the whole file and returns the per-minute statistics: a pandas (or Dask)
  DataFrame with ``minute`` (UTC, a column or the index), ``requests``, and ``errors`` (count
  of 5xx, or of 4xx+5xx) or ``error_rate``; one row per minute. With ``engine="dask"`` the
  grader passes ``scheduler`` = the address of a Dask cluster it started (2 workers): connect
  with ``distributed.Client(scheduler)`` and do the work there; the grader reads that
  cluster's task stream. (Without a scheduler, start your own ``LocalCluster``.)
- ``LogAnalyzer(chunk_size).detect_anomalies(ddf)`` gets a Dask DataFrame of your own records
  and returns a Dask DataFrame with one row per anomalous minute: ``minute`` and ``kind``
  (``error_spike``, ``traffic_surge``, ``traffic_drop``, ``client_burst`` or ``outage``).
  A minute's verdict may use only the minutes before it (it must work live).
- ``LogAnalyzer(chunk_size).follow(log_path)`` tails a growing file (like ``tail -F``: it
  survives rotation) and yields, once for every minute that has closed, a DataFrame with
  ``minute`` and ``requests``, within 2 s of the minute's end.

The input: Apache/Nginx combined logs, e.g.
    203.0.113.9 - - [02/Mar/2026:00:00:01 +0900] "GET /cart HTTP/1.1" 200 512 "-" "Mozilla/5.0" 0.042
Watch out: some lines are truncated (an unclosed quote): skip them, never lose the lines
around them. Some lines hold bytes that are not UTF-8: they are valid requests. Minutes are
UTC (the log shows +0900).
"""

from __future__ import annotations

from collections.abc import Iterator

import dask.dataframe as dd
import pandas as pd


class LogAnalyzer:
    def __init__(self, chunk_size: int = 10000):
        self.chunk_size = chunk_size

    def process_logs_stream(self, log_path: str) -> Iterator[pd.DataFrame]:
        # TODO: process logs in a streaming fashion (로그를 스트리밍 방식으로 처리)
        # Hint: read a block of lines at a time, parse them with one regex, yield a DataFrame.
        pass

    def detect_anomalies(self, df: dd.DataFrame) -> dd.DataFrame:
        # TODO: detect anomalous patterns (이상 패턴 탐지)
        # Hint: count per minute with a groupby, compare each minute with a rolling median
        # of the minutes before it.
        pass

    def analyze(self, log_path: str, engine: str = "local", scheduler: str | None = None):
        # TODO: per-minute requests and errors of the whole file (and write them as Parquet).
        # With engine="dask", split the file into partitions and count them on the cluster
        # at `scheduler` (distributed.Client(scheduler)); combine the partial counts.
        raise NotImplementedError("analyze() is not written yet")

    def follow(self, log_path: str) -> Iterator[pd.DataFrame]:
        # TODO: tail the file (like `tail -F`) and yield each minute's statistics once it closes.
        raise NotImplementedError("follow() is not written yet")


def process_large_log(file_path: str, chunk_size: int = 10000):
    # Diagnostic problem 2: process a 10GB log memory-efficiently
    # - read in chunks
    # - keep only error logs
    # - build per-hour statistics
    # TODO: implement
    pass
