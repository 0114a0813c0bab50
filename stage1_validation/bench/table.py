"""Render bench.json as the Markdown table the README quotes: ``python table.py bench.json``."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

LABELS = {
    "ours": "stage1_validation, pandas backend (reference)",
    "ours_polars": "stage1_validation, polars backend (frame read by Polars)",
    "ours_polars_pd": "stage1_validation, polars backend (pandas frame in)",
    "ours_duckdb": "stage1_validation, duckdb backend (frame read by Polars)",
    "ours_duckdb_pd": "stage1_validation, duckdb backend (pandas frame in)",
    "ours_chunked": "stage1_validation, chunked from file (250k rows/chunk)",
    "duckdb_sql": "anchor: hand-written DuckDB SQL",
    "polars_expr": "anchor: hand-written Polars expressions",
    "pandera": "pandera",
    "gx": "Great Expectations",
    "soda": "Soda Core (DuckDB)",
}


def _ratio(values: dict[str, Any], summary: dict[str, Any], anchor: str) -> str:
    if anchor not in summary:
        return "–"
    ratio = values["validate_s"] / summary[anchor]["validate_s"]
    return f"{ratio:.2f}" if math.isfinite(ratio) else "–"


def render(payload: dict[str, Any]) -> str:
    """The results table plus the decorator-overhead line, as Markdown."""
    summary = payload["summary"]
    load = payload.get("machine", {}).get("load_before")
    lines = [
        f"Rows: {payload['rows']:,} x {payload['columns']} columns, {payload['rules']} rules, "
        f"seed {payload['seed']}, {payload['repeats']} interleaved rounds, medians"
        + (f"; load average {load[0]:.1f} at the start." if load else "."),
        "",
        "| tool | validate (s) | × Polars anchor | × DuckDB anchor | load + validate (s) "
        "| peak RSS (MiB) | same failing counts as the reference | failing rows in result |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for tool, v in summary.items():
        same = v.get("counts_match_ours")
        lines.append(
            f"| {LABELS.get(tool, tool)} | {v['validate_s']:.2f} | "
            f"{_ratio(v, summary, 'polars_expr')} | {_ratio(v, summary, 'duckdb_sql')} | "
            f"{v['load_plus_validate_s']:.2f} | {v['peak_rss_mb']:.0f} | "
            f"{'–' if same is None else 'yes' if same else 'NO'} | "
            f"{'yes' if v['failing_rows_reported'] else 'no (counts only)'} |"
        )
    overhead = payload.get("monitor_overhead")
    if overhead:
        pct = overhead["overhead_pct"]
        noop = overhead["noop_call_us"]
        lines += [
            "",
            f"`performance_monitor`, A/B in one process (median of {overhead['repeats']} "
            f"interleaved rounds, paired ratios; load average {overhead['load'][0]:.1f}): "
            f"validating {overhead['rows']:,} rows costs {pct['monitor_default']:+.1f} % at the "
            f"defaults and {pct['monitor_traced']:+.1f} % with `trace_memory=True`. An empty "
            f"function: {noop['monitor_default']:.1f} µs per call at the defaults, "
            f"{noop['monitor_traced']:.1f} µs traced, {noop['bare']:.2f} µs bare.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))), end="")
