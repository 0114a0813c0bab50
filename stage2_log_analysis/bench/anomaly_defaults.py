"""How the detector's defaults were chosen: each setting swept alone on labelled logs.

    uv run --frozen python stage2_log_analysis/bench/anomaly_defaults.py

Logs: the seven real-log shapes (``generator.shapes``) and a busy day with the random
incidents of the default generator. Each is analysed once; the per-minute table is then
scored with one setting changed at a time from the defaults: false pages per 10,000
minutes, outages (>= 10 min) found, recoveries paged as surges, and event precision and
recall over every labelled incident. Writes ``bench/results/anomaly-defaults.json`` (with
the README's table) and prints a table per setting.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gradekit.scorecard import write_atomic
from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.anomaly import AnomalyConfig, detect_minute_anomalies
from stage2_log_analysis.generator import SHAPES, GeneratorConfig, generate_log, shape_config
from stage2_log_analysis.scoring import score_shape

HERE = Path(__file__).resolve().parent
console = Console()

#: Setting -> the values tried (the default is among them).
SWEEP: dict[str, list[Any]] = {
    "z": [4.0, 5.0, 6.0, 8.0],
    "min_requests": [0, 10, 20, 40],
    "outage_min_minutes": [2, 5, 10],
    "outage_min_expected": [5.0, 10.0, 25.0, 50.0, 100.0, 200.0, 400.0],
    "max_age_minutes": [60, 180, 720, 10**7],
    "recovery_minutes": [0, 15],
    "sampled_coverage": [0.2, 0.5, 0.8],
}


def labelled_logs(folder: Path, seed: int) -> dict[str, Any]:
    """Every labelled log, analysed: the shapes, and a busy day of the default generator."""
    out: dict[str, Any] = {}
    for name in SHAPES:
        path = folder / f"{name}.log"
        truth = generate_log(path, shape_config(name, seed=seed), shape=name)
        out[name] = (analyze([path]).minutes, truth)
    path = folder / "busy_day.log"
    config = GeneratorConfig(size_bytes=60_000_000, days=1.0, seed=seed)
    truth = generate_log(path, config, shape="busy_day")
    out["busy_day"] = (analyze([path]).minutes, truth)
    return out


def score_all(data: dict[str, Any], cfg: AnomalyConfig) -> dict[str, dict[str, Any]]:
    """Every log scored with ``cfg``."""
    scores = {}
    for name, (minutes, truth) in data.items():
        s = score_shape(detect_minute_anomalies(minutes, cfg), truth)
        scores[name] = {
            "passed": s.passed,
            "false_pages": s.false_events,
            "false_per_10k": s.false_per_10k_minutes,
            "outages_found": s.outages_found,
            "outages": s.outages,
            "recoveries_paged": s.recoveries_paged,
            "precision": round(s.incidents.precision, 3),
            "recall": round(s.incidents.recall, 3),
        }
    return scores


def readme_table(results: dict[str, Any], defaults: AnomalyConfig, n_logs: int) -> str:
    """The sweep as a Markdown table: one row per setting and value, totals over the logs."""
    rows = [
        "| setting = value | logs meeting the bar | false pages | outages ≥ 10 min found "
        "| recoveries paged | lowest recall |",
        "|---|---|---|---|---|---|",
    ]
    for setting, values in results.items():
        for value, scores in values.items():
            s = list(scores.values())
            default = " (default)" if str(getattr(defaults, setting)) == value else ""
            rows.append(
                f"| `{setting} = {value}`{default} | {sum(x['passed'] for x in s)}/{n_logs} "
                f"| {sum(x['false_pages'] for x in s)} "
                f"| {sum(x['outages_found'] for x in s)}/{sum(x['outages'] for x in s)} "
                f"| {sum(x['recoveries_paged'] for x in s)} "
                f"| {min(x['recall'] for x in s):.2f} |"
            )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "anomaly-defaults.json")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="anomaly-defaults-") as tmp:
        data = labelled_logs(Path(tmp), args.seed)
    results: dict[str, Any] = {}
    defaults = AnomalyConfig()
    for setting, values in SWEEP.items():
        results[setting] = {}
        table = Table(title=f"{setting} (default {getattr(defaults, setting)})")
        table.add_column("value")
        for name in data:
            table.add_column(name)
        for value in values:
            scores = score_all(data, defaults.model_copy(update={setting: value}))
            results[setting][str(value)] = scores
            table.add_row(
                str(value),
                *(
                    f"{'ok' if x['passed'] else 'FAIL'} fp{x['false_pages']} "
                    f"o{x['outages_found']}/{x['outages']} r{x['recoveries_paged']} "
                    f"R{x['recall']:.2f}"
                    for x in scores.values()
                ),
            )
        console.print(table)
    payload = {
        "command": " ".join(
            ["python stage2_log_analysis/bench/anomaly_defaults.py", *sys.argv[1:]]
        ),
        "seed": args.seed,
        "defaults": defaults.model_dump(),
        "logs": {n: {"minutes_with_data": len(m), "shape": t.shape} for n, (m, t) in data.items()},
        "bar": "at most 3 false pages per 10,000 minutes of span, every outage of 10 minutes "
        "or more found, no recovery paged as a surge (scoring.score_shape)",
        "sweep": results,
        "readme_table": readme_table(results, defaults, len(data)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, json.dumps(payload, indent=2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
