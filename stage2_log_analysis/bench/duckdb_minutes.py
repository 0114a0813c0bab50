"""DuckDB contender: the same per-minute counts with the same validating regex as ``logan``.

    python duckdb_minutes.py LOG OUT.parquet

Lines are read whole (no CSV quoting, so an unclosed quote cannot swallow neighbours) and
parsed with ``logan``'s regexes; the counts are exact. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

from stage2_log_analysis.formats import CLF_HEAD, CLF_VALID

QUERY = """
COPY (
    WITH lines AS (
        SELECT line FROM read_csv(?, delim = '\x1f', quote = '', escape = '', header = false,
                                  columns = {'line': 'VARCHAR'}, ignore_errors = true)
    ), parsed AS (
        SELECT regexp_extract(line, ?, ['ip', 'ts', 'request', 'status', 'bytes']) AS f
        FROM lines WHERE regexp_full_match(line, ?)
    )
    SELECT date_trunc('minute', strptime(f.ts, '%d/%b/%Y:%H:%M:%S %z')) AS minute,
           count(*) AS requests,
           count(*) FILTER (WHERE f.status LIKE '2%') AS status_2xx,
           count(*) FILTER (WHERE f.status LIKE '3%') AS status_3xx,
           count(*) FILTER (WHERE f.status LIKE '4%') AS status_4xx,
           count(*) FILTER (WHERE f.status LIKE '5%') AS status_5xx
    FROM parsed GROUP BY 1
) TO '{out}' (FORMAT parquet)
"""


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        QUERY.replace("{out}", out), [path, CLF_HEAD, CLF_VALID.removeprefix("^").removesuffix("$")]
    )
    seconds = time.perf_counter() - started
    requests, minutes = con.execute(
        f"SELECT sum(requests), count(*) FROM read_parquet('{out}')"
    ).fetchone() or (0, 0)
    print(json.dumps({"seconds": seconds, "requests": int(requests or 0), "minutes": minutes}))


if __name__ == "__main__":
    main()
