"""Render bench.json as the Markdown table the README quotes: ``python table.py bench.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LABELS = {
    "ours": "stage1_validation (whole frame)",
    "ours_chunked": "stage1_validation (chunked from file, 250k rows/chunk)",
    "pandera": "pandera",
    "gx": "Great Expectations",
    "soda": "Soda Core (DuckDB)",
}


def render(payload: dict[str, Any]) -> str:
    """The results table plus the decorator-overhead line, as Markdown."""
    summary = payload["summary"]
    lines = [
        f"Rows: {payload['rows']:,} x {payload['columns']} columns, {payload['rules']} rules, "
        f"seed {payload['seed']}, {payload['repeats']} interleaved rounds, medians.",
        "",
        "| tool | validate (s) | × ours | load + validate (s) | peak RSS (MiB) | × ours | failing rows in result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for tool, v in summary.items():
        lines.append(
            f"| {LABELS.get(tool, tool)} | {v['validate_s']:.2f} | {v.get('validate_vs_ours', float('nan')):.2f} | "
            f"{v['load_plus_validate_s']:.2f} | {v['peak_rss_mb']:.0f} | "
            f"{v.get('peak_rss_vs_ours', float('nan')):.2f} | {'yes' if v['failing_rows_reported'] else 'no (counts only)'} |"
        )
    overhead = payload.get("monitor_overhead")
    if overhead:
        ratio = overhead["ratio_vs_bare"]
        noop = overhead["noop_call_us"]
        lines += [
            "",
            f"`performance_monitor` overhead, validating {overhead['rows']:,} rows (median of "
            f"{overhead['repeats']}): ×{ratio['monitor_rss_only']:.2f} with `trace_memory=False`, "
            f"×{ratio['monitor_default']:.2f} with tracemalloc (the default). On an empty function: "
            f"{noop['monitor_rss_only']:.0f} µs and {noop['monitor_default']:.0f} µs per call "
            f"(bare call {noop['bare']:.2f} µs).",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))), end="")
