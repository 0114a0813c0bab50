"""Stage 2 exercise: a real-time log analysis system (실시간 로그 분석 시스템).

Fill in the TODOs, then grade your work:

    make start-stage2                                  # copies this file to workspace/stage2/
    make check-stage2 IMPL=workspace/stage2 GRADE_OPTS="--opt size=1GB"

Requirements (the roadmap's):
1. Process 10GB+ log files chunk by chunk           (10GB+ 로그 파일 청크 단위 처리)
2. Real-time statistics (requests per minute, error rate, ...)
3. An anomalous-pattern detection algorithm          (이상 패턴 탐지 알고리즘)
4. Save results in Parquet format
5. Distributed processing with Dask

What the grader calls (keep these names and signatures):
- ``LogAnalyzer(chunk_size).process_logs_stream(path)`` yields pandas DataFrames of parsed
  records with at least a ``timestamp`` column (UTC) and an integer ``status`` column.
- ``LogAnalyzer().detect_anomalies(ddf)`` gets a Dask DataFrame of those records and returns a
  Dask DataFrame with one row per anomalous minute: ``minute`` and ``kind`` (one of
  ``error_spike``, ``traffic_surge``, ``traffic_drop``, ``client_burst``).
- ``LogAnalyzer().analyze(path, engine="dask" | "local", n_workers=2)`` analyses the whole file
  (criterion 2 times it on a Dask LocalCluster against a naive pandas baseline).
- ``LogAnalyzer().follow(path)`` tails a growing file and yields, for every minute that has
  closed, a DataFrame with ``minute`` and ``requests`` columns (criterion 3).

The input: Apache/Nginx combined logs, e.g.
    203.0.113.9 - - [02/Mar/2026:00:00:01 +0900] "GET /cart HTTP/1.1" 200 512 "-" "Mozilla/5.0" 0.042
Watch out: some lines are truncated (an unclosed quote). Skip and count them; never lose the
lines around them.
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
        # Hint: count per minute with a groupby, compare each minute with a rolling median.
        pass

    def analyze(self, log_path: str, engine: str = "local", n_workers: int = 2):
        # TODO: analyse the whole file; with engine="dask", split it into byte ranges and
        # aggregate each range on a Dask worker (distributed.LocalCluster).
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
