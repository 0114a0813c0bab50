"""Stage 2 benchmark: this tool (local and Dask) vs the naive pandas baseline vs DuckDB.

    uv run --frozen python stage2_log_analysis/bench/run.py --size 1GB      # or 10GB (default)

One generated log (with ground truth), warmed into the page cache, then ``--rounds`` rounds
that run every contender once each in turn (A B C D, A B C D, ...) in its own process, with the
peak RSS of the whole process tree sampled by psutil every 50 ms. Reports the median wall
time, MB/s, peak RSS, and whether the request total equals the truth. Writes
``bench/results/stage2-bench.json`` and ``.png``. Also times the two Polars parsing strategies
(one big regex vs validate + short capture) in-process on a 64 MB slice, interleaved.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

from gradekit.sampling import TreeRSSSampler
from gradekit.scorecard import write_atomic
from stage2_log_analysis.generator import (
    GeneratorConfig,
    GroundTruth,
    generate_log,
    parse_size,
    truth_path_for,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
console = Console()

CONTENDERS: dict[str, list[str]] = {
    "logan local (1 process)": [
        "-m",
        "stage2_grading.tree_probe",
        "analyze",
        "{path}",
        "local",
        "1",
    ],
    "logan dask (2 workers)": ["-m", "stage2_grading.tree_probe", "analyze", "{path}", "dask", "2"],
    "logan dask (1 worker)": ["-m", "stage2_grading.tree_probe", "analyze", "{path}", "dask", "1"],
    "naive pandas baseline": ["-m", "stage2_grading.tree_probe", "baseline", "{path}"],
    "duckdb (same regex)": [str(HERE / "duckdb_minutes.py"), "{path}"],
}


def run_one(args: list[str], path: Path) -> dict[str, Any]:
    """One contender in its own process; wall time measured inside, RSS of the tree outside."""
    cmd = [sys.executable, *[a.replace("{path}", str(path)) for a in args]]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    with TreeRSSSampler(proc.pid) as sampler:
        out, _ = proc.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": "no output"}
    result["process_seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = sampler.peak_mb
    return result


def parser_comparison(path: Path, rounds: int = 3) -> dict[str, Any]:
    """Polars: one regex with ten captures vs a validating regex plus a five-capture prefix."""
    import polars as pl

    from stage2_log_analysis.formats import CLF_HEAD, CLF_VALID
    from stage2_log_analysis.parser import _lines_frame
    from stage2_log_analysis.ranges import ByteRange, iter_range_blocks

    q = r'"((?:[^"\\]|\\.)*)"'
    single = (
        r"^(\S+) \S+ (\S+) \[([^\]]+)\] " + q + r" (\d{3}) (\d+|-)(?: " + q + " " + q + r")?"
        r"(?: (\d+(?:\.\d+)?))?\s*$"
    )
    data = b"".join(iter_range_blocks(ByteRange(str(path), 0, min(64 << 20, path.stat().st_size))))
    raw = _lines_frame(data)
    line = pl.col("line")
    variants = {
        "single regex, 10 captures": lambda: raw.select(line.str.extract_groups(single)),
        "validate + 5-capture prefix": lambda: raw.select(
            line.str.contains(CLF_VALID).alias("ok"), line.str.extract_groups(CLF_HEAD).alias("g")
        ),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    mb = len(data) / 1e6
    return {
        "slice_mb": round(mb, 1),
        "median_s": {k: statistics.median(v) for k, v in times.items()},
        "mb_per_s": {k: round(mb / statistics.median(v), 1) for k, v in times.items()},
    }


def chart(summary: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summary)
    secs = [summary[n]["median_s"] for n in names]
    rss = [summary[n]["peak_rss_mb"] for n in names]
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    a.barh(names, secs, color="tab:blue")
    a.set_xlabel("wall time, s (median)")
    b.barh(names, rss, color="tab:orange")
    b.axvline(1024, color="red", ls="--", label="1 GB limit")
    b.set_xlabel("peak RSS of process tree, MB")
    b.legend()
    b.set_yticks([])
    fig.suptitle("Stage 2 benchmark (shared 2-core machine)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="10GB")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "generated" / "stage2")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--skip", default="", help="comma-separated contenders to skip")
    args = parser.parse_args()

    size = parse_size(args.size)
    path = args.data / f"bench-{size}-{args.seed}.log"
    t = time.perf_counter()
    if path.exists() and truth_path_for(path).exists():
        truth = GroundTruth.model_validate_json(truth_path_for(path).read_text())
        gen_mb_s = None
    else:
        console.print(f"generating {args.size} log at {path} ...")
        truth = generate_log(path, GeneratorConfig(size_bytes=size, seed=args.seed))
        gen_mb_s = truth.size_bytes / 1e6 / (time.perf_counter() - t)
    with path.open("rb") as fh:  # warm-up: put the file in the page cache
        while fh.read(64 << 20):
            pass
    expected = sum(truth.minutes["requests"])
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    chosen = {k: v for k, v in CONTENDERS.items() if k not in skip}
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in chosen}
    for r in range(args.rounds):
        for name in track(list(chosen), description=f"round {r + 1}/{args.rounds}"):
            runs[name].append(run_one(chosen[name], path))
    summary: dict[str, dict[str, Any]] = {}
    mb = truth.size_bytes / 1e6
    for name, results in runs.items():
        ok = [x for x in results if "error" not in x]
        if not ok:
            summary[name] = {"error": results[0].get("error"), "median_s": 0, "peak_rss_mb": 0}
            continue
        med = statistics.median(x["seconds"] for x in ok)
        summary[name] = {
            "median_s": round(med, 2),
            "mb_per_s": round(mb / med, 1),
            "peak_rss_mb": round(max(x["peak_rss_mb"] for x in ok), 1),
            "requests": ok[0].get("requests"),
            "requests_exact": ok[0].get("requests") == expected,
            "runs_s": [round(x["seconds"], 2) for x in ok],
        }
    anchor = summary.get("duckdb (same regex)", {}).get("median_s") or None
    base = summary.get("naive pandas baseline", {}).get("median_s") or None
    for s in summary.values():
        if s.get("median_s"):
            s["vs_duckdb"] = round(s["median_s"] / anchor, 2) if anchor else None
            s["vs_naive"] = round(s["median_s"] / base, 3) if base else None
    d1 = summary.get("logan dask (1 worker)", {}).get("median_s")
    d2 = summary.get("logan dask (2 workers)", {}).get("median_s")
    report = {
        "command": " ".join(["python stage2_log_analysis/bench/run.py", *sys.argv[1:]]),
        "seed": args.seed,
        "size_bytes": truth.size_bytes,
        "lines": truth.lines,
        "malformed_lines": truth.malformed_lines,
        "requests_truth": expected,
        "rounds": args.rounds,
        "page_cache": "warm (file read once before the rounds)",
        "generator_mb_per_s": round(gen_mb_s, 1) if gen_mb_s else None,
        "parallel_efficiency_1_to_2_workers": round(d1 / (2 * d2), 2) if d1 and d2 else None,
        "contenders": summary,
        "parsers": parser_comparison(path),
        "versions": {
            p: version(p) for p in ("polars", "pandas", "dask", "distributed", "duckdb", "pyarrow")
        }
        | {"python": platform.python_version()},
        "machine": "shared 2-core machine; other engineers' jobs were running",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / "stage2-bench.json", json.dumps(report, indent=2))
    chart(summary, args.out / "stage2-bench.png")
    table = Table(title=f"Stage 2 benchmark — {mb:,.0f} MB, {truth.lines:,} lines")
    for col in ("contender", "median s", "MB/s", "peak RSS MB", "exact", "× DuckDB", "× naive"):
        table.add_column(col)
    for name, s in summary.items():
        table.add_row(
            name,
            str(s.get("median_s")),
            str(s.get("mb_per_s")),
            str(s.get("peak_rss_mb")),
            str(s.get("requests_exact", s.get("error"))),
            str(s.get("vs_duckdb")),
            str(s.get("vs_naive")),
        )
    console.print(table)
    console.print(
        f"parallel efficiency 1→2 workers: {report['parallel_efficiency_1_to_2_workers']}"
    )
    console.print(f"parsers: {report['parsers']['mb_per_s']}")
    console.print(f"wrote {args.out / 'stage2-bench.json'} and .png")


if __name__ == "__main__":
    main()
