"""Naive contender: ``baseline.analyze_naive`` (pandas chunks + ``str.extract``), per minute.

    python naive_minutes.py LOG OUT.parquet

What a learner writes first; its loose regex counts truncated lines too. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

from stage2_log_analysis.baseline import analyze_naive


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    table = analyze_naive(path)
    seconds = time.perf_counter() - started
    table.rename_axis("minute").reset_index().to_parquet(out, index=False)
    print(
        json.dumps(
            {"seconds": seconds, "requests": int(table["requests"].sum()), "minutes": len(table)}
        )
    )


if __name__ == "__main__":
    main()
