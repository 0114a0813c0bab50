"""Problem 2: large data processing (45 minutes). 문제 2: 대용량 데이터 처리 (45분).

Process a 10GB log file memory-efficiently (statement: diagnostics/problems/problem2.en.md):
- read in chunks (chunk_size = number of lines)
- keep only error logs (the LEVEL field is exactly ERROR)
- build per-hour statistics

Line format: <YYYY-MM-DDTHH:MM:SSZ> <LEVEL> <service> <latency_ms> <message...>
Return a pandas DataFrame with the columns hour, error_count, mean_latency_ms,
max_latency_ms: one row per hour that has errors, sorted by hour. Skip malformed lines.
"""


def process_large_log(file_path: str, chunk_size: int = 10000):
    # TODO: implement
    pass
