"""DuckDB contender: the per-minute query a data engineer writes first, with ``read_csv``.

    python duckdb_csv.py LOG OUT.parquet [--strict-mode-off]

The log is read as a space-separated CSV with ``"`` quotes and ``\\`` escapes, explicit
columns and ``ignore_errors``, then grouped by minute. ``--strict-mode-off`` adds
``strict_mode = false``. With the default strict mode, DuckDB's parallel scanner has
dropped whole runs of good lines on our generated logs (a third of a 1 GB log); the
benchmark reports each variant's counts against the truth. It is fast, and it is the trap the
stage README describes: an unclosed quote (a truncated user agent) makes the CSV reader
swallow the lines after it, so its counts can be wrong; the benchmark checks them against
``logan``'s. Prints one JSON line (seconds, requests, minutes, columns used).
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import time
from collections import Counter

import duckdb

#: Column names by field count: common (8), combined (10), combined + request time (11).
_COLUMNS = {
    8: ["ip", "ident", "usr", "ts", "tz", "request", "status", "bytes"],
    10: ["ip", "ident", "usr", "ts", "tz", "request", "status", "bytes", "referer", "agent"],
    11: ["ip", "ident", "usr", "ts", "tz", "request", "status", "bytes", "referer", "agent", "rt"],
}

QUERY = """
COPY (
    SELECT date_trunc('minute', strptime(ts || ' ' || tz, '[%d/%b/%Y:%H:%M:%S %z]')) AS minute,
           count(*) AS requests,
           count(*) FILTER (WHERE status BETWEEN 200 AND 299) AS status_2xx,
           count(*) FILTER (WHERE status BETWEEN 300 AND 399) AS status_3xx,
           count(*) FILTER (WHERE status BETWEEN 400 AND 499) AS status_4xx,
           count(*) FILTER (WHERE status BETWEEN 500 AND 599) AS status_5xx
    FROM read_csv(?, delim = ' ', quote = '"', escape = '\\', header = false,
                  ignore_errors = true, columns = {columns}{extra})
    GROUP BY 1
) TO '{out}' (FORMAT parquet)
"""


def field_count(path: str, lines: int = 200) -> int:
    """The most common number of fields in the first lines (how the CSV reader splits them)."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:  # type: ignore[operator]
        head = [line for _, line in zip(range(lines), fh, strict=False)]
    reader = csv.reader(head, delimiter=" ", quotechar='"', escapechar="\\")
    return Counter(len(row) for row in reader).most_common(1)[0][0]


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    extra = ", strict_mode = false" if "--strict-mode-off" in sys.argv[3:] else ""
    started = time.perf_counter()
    n = field_count(path)
    if n not in _COLUMNS:
        print(json.dumps({"error": f"{n} fields a line: not Apache/Nginx common or combined"}))
        return
    types = {c: ("INTEGER" if c == "status" else "VARCHAR") for c in _COLUMNS[n]}
    columns = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    query = QUERY.replace("{columns}", columns).replace("{extra}", extra).replace("{out}", out)
    con.execute(query, [path])
    seconds = time.perf_counter() - started
    requests, minutes = con.execute(
        f"SELECT sum(requests), count(*) FROM read_parquet('{out}')"
    ).fetchone() or (0, 0)
    print(
        json.dumps(
            {"seconds": seconds, "requests": int(requests or 0), "minutes": minutes, "fields": n}
        )
    )


if __name__ == "__main__":
    main()
