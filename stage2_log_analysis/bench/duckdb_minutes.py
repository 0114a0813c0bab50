"""DuckDB contender: the same per-minute query (requests by status class) in SQL.

Run as ``python duckdb_minutes.py LOG`` by ``run.py``; prints one JSON line.
Lines are read whole (no CSV quoting, so an unclosed quote cannot swallow neighbours) and
parsed with the same validating regex as the Polars parser.
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

from stage2_log_analysis.formats import CLF_HEAD, CLF_VALID

QUERY = """
WITH lines AS (
    SELECT line FROM read_csv(?, delim = '\x1f', quote = '', escape = '', header = false,
                              columns = {'line': 'VARCHAR'}, ignore_errors = true)
), parsed AS (
    SELECT regexp_extract(line, ?, ['ip', 'ts', 'request', 'status', 'bytes']) AS f
    FROM lines WHERE regexp_full_match(line, ?)
)
SELECT date_trunc('minute', strptime(f.ts, '%d/%b/%Y:%H:%M:%S %z')) AS minute,
       count(*) AS requests,
       count(*) FILTER (WHERE f.status LIKE '5%') AS status_5xx
FROM parsed GROUP BY 1
"""


def main() -> None:
    path = sys.argv[1]
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(
        QUERY, [path, CLF_HEAD, CLF_VALID.removeprefix("^").removesuffix("$")]
    ).fetchall()
    seconds = time.perf_counter() - started
    print(
        json.dumps({"seconds": seconds, "requests": sum(r[1] for r in rows), "minutes": len(rows)})
    )


if __name__ == "__main__":
    main()
