"""Stage 2 benchmark: ``logan`` (local and Dask) vs the naive pandas baseline vs DuckDB.

    uv run --frozen python stage2_log_analysis/bench/run.py --log /var/log/nginx/access.log
    uv run --frozen python stage2_log_analysis/bench/run.py --size 1GB              # generated
    uv run --frozen python stage2_log_analysis/bench/run.py --shape sparse_hourly --size 1GB
    make bench-stage2 BENCH_OPTS="--log PATH"

On your own log (``--log``) or a generated one (with ground truth), each contender runs as
its own process, the contenders in turn for ``--rounds`` rounds (A B C.., A B C..), after the
file has been read once into the page cache. Measured per run: the process's wall time (what
a user waits for, imports included), the time the contender reports for its own work, and
the CPU seconds of its tree and of everything else on the machine meanwhile (a shared
machine: CPU time says what the work cost when the wall time says how busy the machine
was), and the peak RSS of its whole process tree (psutil every 50 ms, Dask workers
included). Every contender writes per-minute counts (requests, 2xx..5xx); they are checked
equal to ``logan``'s minute by minute, and to the generator's truth when the log has one.
The anchors: DuckDB's ``read_csv`` per-minute query, the query a data engineer writes
(``duckdb_csv.py``; also with ``strict_mode=false``), Polars' ``scan_csv`` on the same trick
(``polars_csv.py``), and DuckDB with ``logan``'s own regexes (``duckdb_minutes.py``). Writes ``<name>.json`` and ``<name>.png``
under ``--out`` (default ``bench/results``): the medians, ratios, versions and machine facts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
from rich.console import Console
from rich.table import Table

from gradekit.scorecard import write_atomic
from opskit.memory import TreeRSSSampler
from stage2_log_analysis.generator import (
    GroundTruth,
    generate_log,
    parse_size,
    shape_config,
    truth_path_for,
)
from stage2_log_analysis.generator.config import GeneratorConfig

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
console = Console()
COUNTS = ["requests", "status_2xx", "status_3xx", "status_4xx", "status_5xx"]
LOGAN = [sys.executable, "-m", "stage2_log_analysis", "analyze", "{path}", "--no-progress"]

#: name -> (command, where its per-minute counts land). ``{path}``: the log; ``{out}``: a
#: fresh folder for the run.
CONTENDERS: dict[str, tuple[list[str], str]] = {
    "logan local": ([*LOGAN, "--out", "{out}/logan"], "{out}/logan/minutes"),
    "logan local, 1 thread": (
        [*LOGAN, "--threads", "1", "--out", "{out}/logan"],
        "{out}/logan/minutes",
    ),
    "logan dask, 2 workers": (
        [*LOGAN, "--engine", "dask", "--workers", "2", "--out", "{out}/logan"],
        "{out}/logan/minutes",
    ),
    "naive pandas": (
        [sys.executable, str(HERE / "naive_minutes.py"), "{path}", "{out}/m.parquet"],
        "{out}/m.parquet",
    ),
    "duckdb read_csv": (
        [sys.executable, str(HERE / "duckdb_csv.py"), "{path}", "{out}/m.parquet"],
        "{out}/m.parquet",
    ),
    "duckdb read_csv, strict_mode=false": (
        [
            sys.executable,
            str(HERE / "duckdb_csv.py"),
            "{path}",
            "{out}/m.parquet",
            "--strict-mode-off",
        ],
        "{out}/m.parquet",
    ),
    "polars read_csv": (
        [sys.executable, str(HERE / "polars_csv.py"), "{path}", "{out}/m.parquet"],
        "{out}/m.parquet",
    ),
    "duckdb, logan's regex": (
        [sys.executable, str(HERE / "duckdb_minutes.py"), "{path}", "{out}/m.parquet"],
        "{out}/m.parquet",
    ),
}
REFERENCE = "logan local"
ANCHOR = "duckdb read_csv"
#: The fastest anchor whose counts are exact enough (DuckDB's known losses only): the bar.
LENIENT_ANCHOR = "duckdb read_csv, strict_mode=false"
#: The contenders' environment. Python caches compiled modules (``__pycache__``) unless
#: PYTHONDONTWRITEBYTECODE is set; a user's machine has the cache after the first run, so the
#: bench lets the warm-up write it instead of timing the compilation of every module.
CONTENDER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: What the warm-up imports (and so compiles once) before the timed rounds.
WARM_IMPORTS = (
    "import stage2_log_analysis.cli, stage2_log_analysis.analysis, stage2_log_analysis.output, "
    "matplotlib.pyplot, polars, pandas, pyarrow.parquet, duckdb, dask, distributed"
)


def run_one(name: str, path: Path, work: Path) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """One run of a contender: its figures, and its per-minute counts (None if it failed)."""
    out = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    command, minutes_at = CONTENDERS[name]
    cmd = [a.replace("{path}", str(path)).replace("{out}", str(out)) for a in command]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_cpu = _busy_cpu_s()
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CONTENDER_ENV
    )
    with TreeRSSSampler(proc.pid) as sampler:
        stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the contender's whole tree (children that were waited for count in it),
    # and of everything else on the machine meanwhile: a disturbed run shows a large "other".
    cpu = after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
    result: dict[str, Any] = {
        "process_s": wall,
        "cpu_s": round(cpu, 2),
        "other_cpu_s": round(max(_busy_cpu_s() - machine_cpu - cpu, 0.0), 2),
        "peak_rss_mb": sampler.peak_mb,
    }
    minutes: pd.DataFrame | None = None
    if proc.returncode != 0:
        result["error"] = (stderr or stdout).strip().splitlines()[-1:] or [
            f"exit {proc.returncode}"
        ]
    elif name.startswith("logan"):
        report = json.loads((out / "logan" / "report.json").read_text())
        result["work_s"] = report["seconds"] + sum(
            p["seconds"] for p in report["phases"] if p["name"] == "writing"
        )
        result["phases"] = report["phases"]
        result["lines"] = report["lines"]
        result["uncompressed_bytes"] = report["uncompressed_bytes"]
    else:
        printed = [line for line in stdout.splitlines() if line.startswith("{")]
        info = json.loads(printed[-1]) if printed else {"error": "no output"}
        if "error" in info:
            result["error"] = info["error"]
        result["work_s"] = info.get("seconds")
    if "error" not in result:
        where = Path(minutes_at.replace("{out}", str(out)))
        minutes = _per_minute(pd.read_parquet(where))
    shutil.rmtree(out, ignore_errors=True)
    return result, minutes


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (every core)."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0))


def _per_minute(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-minute counts indexed by UTC minute (int64 counts, missing classes as 0)."""
    table = frame.assign(minute=pd.to_datetime(frame["minute"], utc=True)).set_index("minute")
    table = table.reindex(columns=COUNTS, fill_value=0).fillna(0).astype("int64")
    return table.groupby(level=0).sum().sort_index()


def compare(reference: pd.DataFrame, other: pd.DataFrame) -> dict[str, Any]:
    """How ``other``'s per-minute counts differ from the reference's."""
    both = other.join(reference.add_suffix("_ref"), how="outer").fillna(0)
    diff = (both[COUNTS].to_numpy() != both[[f"{c}_ref" for c in COUNTS]].to_numpy()).any(axis=1)
    return {
        "equal": not bool(diff.any()),
        "minutes": len(other),
        "minutes_differing": int(diff.sum()),
        "requests": int(other["requests"].sum()),
        "requests_difference": int(other["requests"].sum() - reference["requests"].sum()),
    }


def truth_table(truth: GroundTruth) -> pd.DataFrame:
    """The generator's per-minute counts in the contenders' layout."""
    return _per_minute(truth.minutes_frame().to_pandas())


def exactness(truth: pd.DataFrame, other: pd.DataFrame) -> dict[str, Any]:
    """How close ``other``'s per-minute counts are to the truth: minutes exact, requests."""
    got = other.reindex(truth.index, fill_value=-1)
    same = (got[COUNTS].to_numpy() == truth[COUNTS].to_numpy()).all(axis=1)
    invented = other.index.difference(truth.index)  # minutes the truth has no request in
    expected = int(truth["requests"].sum())
    requests = int(other["requests"].sum())
    return {
        "minutes_truth": len(truth),
        "minutes_exact": int(same.sum()),
        "minutes_invented": len(invented),
        "requests": requests,
        "requests_truth": expected,
        "requests_share": round(requests / expected, 5) if expected else None,
        "exact": bool(same.all()) and len(invented) == 0,
    }


def machine() -> dict[str, Any]:
    """What this machine is and how busy it was."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "platform": platform.platform(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def readme_table(summary: dict[str, dict[str, Any]]) -> str:
    """The contenders as a Markdown table (the stage README renders it from the JSON)."""
    rows = [
        "| contender | wall s, whole process (median) | own work s | CPU s (tree) "
        "| peak tree RSS MB | per-minute counts = logan's | against the truth "
        "| wall × DuckDB read_csv | CPU × DuckDB read_csv | wall × DuckDB strict_mode=false |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        if "error" in s:
            rows.append(f"| {name} | failed: {s['error']} | | | | | | | | |")
            continue
        cmp = s.get("per_minute_vs_logan")
        same = (
            "-"
            if cmp is None
            else "yes"
            if cmp["equal"]
            else f"**no**: {cmp['minutes_differing']:,} minutes differ, "
            f"{cmp['requests_difference']:+,} requests"
        )
        exact = s.get("vs_truth")
        truth = (
            "-"
            if exact is None
            else "exact"
            if exact["exact"]
            else f"{exact['minutes_exact']:,}/{exact['minutes_truth']:,} minutes exact, "
            f"{exact['requests_share']:.2%} of requests"
        )
        rows.append(
            f"| {name} | {s['median_s']:.2f} | {s['work_median_s']:.2f} | {s['cpu_median_s']:.2f} "
            f"| {s['peak_rss_mb']:,.0f} | {same} | {truth} | {s.get('x_duckdb_read_csv') or '-'} "
            f"| {s.get('cpu_x_duckdb_read_csv') or '-'} | {s.get('x_duckdb_strict_off') or '-'} |"
        )
    return "\n".join(rows)


def phases_table(summary: dict[str, dict[str, Any]]) -> str:
    """Where ``logan``'s time went (first run of each): wall and CPU seconds of each phase."""
    rows = [
        "| contender | phase | wall s | CPU s (this process) | peak tree RSS MB |",
        "|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        for p in s.get("phases_first_run", []):
            rows.append(
                f"| {name} | {p['name']} | {p['seconds']:.2f} | {p['cpu_seconds']:.2f} "
                f"| {p['peak_rss_mb']:,.0f} |"
            )
    return "\n".join(rows)


def chart(summary: dict[str, dict[str, Any]], out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in summary if "median_s" in summary[n]]
    colors = ["tab:blue" if n.startswith("logan") else "tab:gray" for n in names]
    fig, (a, c, b) = plt.subplots(1, 3, figsize=(15, 4))
    a.barh(names, [summary[n]["median_s"] for n in names], color=colors)
    c.barh(names, [summary[n]["cpu_median_s"] for n in names], color=colors)
    for ax, key, what in ((a, "median_s", "wall"), (c, "cpu_median_s", "CPU")):
        anchor = summary.get(ANCHOR, {}).get(key)
        if anchor:
            ax.axvline(2 * anchor, color="red", ls="--", label=f"2 × DuckDB read_csv ({what})")
            ax.legend(fontsize=8)
    a.set_xlabel("wall time of the whole process, s (median)")
    c.set_xlabel("CPU time of the process tree, s (median)")
    c.set_yticks([])
    b.barh(names, [summary[n]["peak_rss_mb"] for n in names], color="tab:orange")
    b.axvline(1024, color="red", ls="--", label="1 GB")
    b.set_xlabel("peak RSS of the process tree, MB")
    b.legend(fontsize=8)
    b.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def _log_from_args(args: argparse.Namespace) -> tuple[Path, GroundTruth | None, str]:
    if args.log is not None:
        if not args.log.is_file():
            raise SystemExit(f"{args.log}: no such file; pass the path of an access log")
        truth_file = truth_path_for(args.log)
        truth = (
            GroundTruth.model_validate_json(truth_file.read_text()) if truth_file.exists() else None
        )
        return args.log.resolve(), truth, args.name or f"stage2-bench-{args.log.stem}"
    size = parse_size(args.size)
    label = args.shape or "day"
    path = args.data / f"bench-{label}-{size}-{args.seed}.log"
    if path.exists() and truth_path_for(path).exists():
        truth = GroundTruth.model_validate_json(truth_path_for(path).read_text())
    else:
        console.print(f"generating {args.size} log ({label}) at {path} ...")
        config = (
            shape_config(args.shape, seed=args.seed, size_bytes=size)
            if args.shape
            else GeneratorConfig(size_bytes=size, seed=args.seed)
        )
        truth = generate_log(path, config, shape=args.shape)
    return path, truth, args.name or f"stage2-bench-{label}-{args.size}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", type=Path, help="your own access log (plain or .gz)")
    parser.add_argument("--size", default="1GB", help="size of a generated log (no --log)")
    parser.add_argument("--shape", help="a real-log shape for the generated log (see generator)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "generated" / "stage2")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--name", help="file name of the results (default from the log)")
    parser.add_argument(
        "--skip", action="append", default=[], help="a contender to skip (repeatable)"
    )
    args = parser.parse_args()

    path, truth, name = _log_from_args(args)
    unknown = set(args.skip) - set(CONTENDERS)
    if unknown:
        raise SystemExit(
            f"unknown contender(s) {sorted(unknown)}; the contenders: {list(CONTENDERS)}"
        )
    chosen = [n for n in CONTENDERS if n not in args.skip]
    with path.open("rb") as fh:  # warm-up: the file in the page cache
        while fh.read(64 << 20):
            pass
    # and the imports: in the OS's file cache, compiled once into __pycache__
    subprocess.run([sys.executable, "-c", WARM_IMPORTS], check=True, env=CONTENDER_ENV)
    before = machine()
    work = Path(tempfile.mkdtemp(prefix="stage2-bench-"))
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in chosen}
    minutes: dict[str, pd.DataFrame] = {}
    try:
        for r in range(args.rounds):
            for contender in chosen:
                console.print(f"round {r + 1}/{args.rounds}: {contender}")
                result, table = run_one(contender, path, work)
                runs[contender].append(result)
                if table is not None and contender not in minutes:
                    minutes[contender] = table
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = machine()
    reference = minutes.get(REFERENCE)
    expected = truth_table(truth) if truth is not None else None
    summary: dict[str, dict[str, Any]] = {}
    for contender, results in runs.items():
        ok = [x for x in results if "error" not in x]
        if not ok:
            summary[contender] = {"error": results[0].get("error")}
            continue
        summary[contender] = {
            "median_s": round(statistics.median(x["process_s"] for x in ok), 2),
            "runs_s": [round(x["process_s"], 2) for x in ok],
            "cpu_median_s": round(statistics.median(x["cpu_s"] for x in ok), 2),
            "other_cpu_median_s": round(statistics.median(x["other_cpu_s"] for x in ok), 2),
            "work_median_s": round(statistics.median(x["work_s"] for x in ok), 2),
            "peak_rss_mb": round(max(x["peak_rss_mb"] for x in ok), 1),
            "failed_runs": len(results) - len(ok),
        }
        if "phases" in ok[0]:
            summary[contender]["phases_first_run"] = ok[0]["phases"]
        if reference is not None and contender in minutes:
            summary[contender]["per_minute_vs_logan"] = compare(reference, minutes[contender])
        if expected is not None and contender in minutes:
            summary[contender]["vs_truth"] = exactness(expected, minutes[contender])
    anchor = summary.get(ANCHOR, {}).get("median_s")
    naive = summary.get("naive pandas", {}).get("median_s")
    anchor_cpu = summary.get(ANCHOR, {}).get("cpu_median_s")
    lenient = summary.get(LENIENT_ANCHOR, {}).get("median_s")
    for s in summary.values():
        if s.get("median_s"):
            s["x_duckdb_read_csv"] = round(s["median_s"] / anchor, 2) if anchor else None
            s["cpu_x_duckdb_read_csv"] = (
                round(s["cpu_median_s"] / anchor_cpu, 2) if anchor_cpu else None
            )
            s["x_naive"] = round(s["median_s"] / naive, 2) if naive else None
            s["x_duckdb_strict_off"] = round(s["median_s"] / lenient, 2) if lenient else None
    first = next((x for x in runs.get(REFERENCE, []) if "error" not in x), {})
    report = {
        "command": shlex.join(["python", "stage2_log_analysis/bench/run.py", *sys.argv[1:]]),
        "log": path.name,
        "file_bytes": path.stat().st_size,
        "uncompressed_bytes": first.get("uncompressed_bytes"),
        "lines": first.get("lines"),
        "generated": truth is not None and args.log is None,
        "seed": truth.seed if truth is not None else None,
        "shape": truth.shape if truth is not None else None,
        "rounds": args.rounds,
        "order": "interleaved: each round runs every contender once, in the order listed",
        "page_cache": "warm (file read once before the rounds)",
        "bytecode_cache": "warm (modules compiled once before the rounds, as after a first run)",
        "contenders": summary,
        "versions": {
            p: version(p) for p in ("polars", "pandas", "dask", "distributed", "duckdb", "pyarrow")
        }
        | {"python": platform.python_version()},
        "machine_before": before,
        "machine_after": after,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "readme_table": readme_table(summary),
        "phases_table": phases_table(summary),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / f"{name}.json", json.dumps(report, indent=2))
    mb = path.stat().st_size / 1e6
    chart(summary, args.out / f"{name}.png", f"Stage 2 benchmark: {path.name}, {mb:,.0f} MB")
    shown = Table(title=f"{path.name}: {mb:,.0f} MB, {first.get('lines') or 0:,} lines")
    for col in (
        "contender",
        "median s",
        "CPU s",
        "peak RSS MB",
        "= logan",
        "vs truth",
        "× DuckDB csv (wall, CPU)",
    ):
        shown.add_column(col)
    for contender, s in summary.items():
        cmp = s.get("per_minute_vs_logan", {})
        exact = s.get("vs_truth")
        shown.add_row(
            contender,
            str(s.get("median_s", s.get("error"))),
            str(s.get("cpu_median_s")),
            str(s.get("peak_rss_mb")),
            "yes"
            if cmp.get("equal")
            else f"no ({cmp.get('minutes_differing')} min)"
            if cmp
            else "-",
            "-"
            if exact is None
            else "exact"
            if exact["exact"]
            else f"{exact['requests_share']:.1%} of requests",
            f"{s.get('x_duckdb_read_csv')}, {s.get('cpu_x_duckdb_read_csv')}",
        )
    console.print(f"wrote {args.out / name}.json and .png")


if __name__ == "__main__":
    main()
