"""Peak memory of ``logan analyze`` with jemalloc's default page decay vs returning pages at once.

    uv run --frozen python stage2_log_analysis/bench/memory.py --size 1GB     # or 10GB

Polars allocates with jemalloc, which by default keeps freed pages ~10 s before giving them back
(see ``allocator.py``). This runs the grader's probe (local engine, Dask with 2 workers) on one
generated log, interleaved, once with ``_RJEM_MALLOC_CONF`` empty (jemalloc's defaults) and once
with the setting ``logan`` uses, and reports peak RSS of the whole process tree (psutil, 50 ms)
and wall time side by side. Writes ``bench/results/stage2-memory.json`` (``--out`` to choose).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gradekit.scorecard import write_atomic
from stage2_grading import run_probe
from stage2_log_analysis.allocator import ALLOCATOR_ENV, RETURN_MEMORY_AT_ONCE
from stage2_log_analysis.generator import GeneratorConfig, generate_log, parse_size, span_days

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
console = Console()
SETTINGS = {"jemalloc defaults": "", "return at once (logan)": RETURN_MEMORY_AT_ONCE}
ENGINES = {"local": ["local", "1"], "dask (2 workers)": ["dask", "2"]}


def measure(path: Path, engine: list[str], conf: str, work_dir: Path) -> dict[str, Any]:
    """One run of the grader's probe with ``_RJEM_MALLOC_CONF=conf``, peak tree RSS included."""
    run = run_probe(
        ["analyze", str(path), *engine], "", work_dir, timeout=7200, env={ALLOCATOR_ENV: conf}
    )
    return {
        "seconds": run.result.get("seconds"),
        "wall_s": run.seconds,
        "peak_rss_mb": run.peak_mb,
        "error": run.error,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1GB")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "generated" / "stage2")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "stage2-memory.json")
    args = parser.parse_args()
    size = parse_size(args.size)
    path = args.data / f"bench-{size}-42.log"
    if not path.exists():
        args.data.mkdir(parents=True, exist_ok=True)
        generate_log(path, GeneratorConfig(size_bytes=size, seed=42, days=span_days(size, 1.0)))
    runs: dict[str, list[dict[str, Any]]] = {}
    for r in range(args.rounds):
        for ename, engine in ENGINES.items():
            for sname, conf in SETTINGS.items():
                console.print(f"round {r + 1}: {ename}, {sname}")
                runs.setdefault(f"{ename} | {sname}", []).append(
                    measure(path, engine, conf, args.data)
                )
    table = Table(title=f"logan analyze on {args.size} ({path.stat().st_size / 1e9:.2f} GB)")
    for col in ("engine | allocator", "peak tree RSS MB", "processing s"):
        table.add_column(col)
    summary: dict[str, Any] = {}
    for key, rs in runs.items():
        peak = statistics.median(x["peak_rss_mb"] for x in rs)
        secs = [x["seconds"] for x in rs if x["seconds"] is not None]
        med = statistics.median(secs) if secs else None
        summary[key] = {"peak_rss_mb": round(peak, 1), "seconds": med, "runs": rs}
        table.add_row(key, f"{peak:,.0f}", f"{med:.1f}" if med is not None else "error")
    console.print(table)
    payload = {
        "command": f"python stage2_log_analysis/bench/memory.py --size {args.size} --rounds {args.rounds}",
        "file_bytes": path.stat().st_size,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_avg_1m": os.getloadavg()[0],
        "results": summary,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, json.dumps(payload, indent=2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
