"""Stage 1 benchmark: this library vs pandera, Great Expectations and Soda Core, same data, same run.

    uv run --frozen python stage1_validation/bench/run.py                 # 10M rows (the default)
    uv run --frozen python stage1_validation/bench/run.py --rows 1000000  # what the README quotes

Each tool runs in its own process on the same Parquet file (12 columns, 14 rules); the runs
are interleaved (ours, pandera, gx, soda, ours, ...), ``--repeats`` rounds after one warm-up
run that fills the page cache. For every run: time to load, time to validate (measured inside
the worker), and the peak RSS of the worker process (psutil, every 50 ms). Medians go to
``bench.json`` with the seed, sizes and versions, and to a PNG chart. The overhead of
``performance_monitor`` is measured in-process the same way (interleaved, median).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import typer
import yaml
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from opskit.memory import TreeRSSSampler
from stage1_validation import DataValidator
from stage1_validation.monitor import performance_monitor
from stage1_validation.synthetic import make_orders
from stage1_validation.writers import atomic_path, atomic_writer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import peer_python, peers_ready, setup_peers  # noqa: E402
from table import render as render_table  # noqa: E402
from worker import EQUIVALENCE  # noqa: E402

ROOT = HERE.parent.parent
console = Console()
OURS = ("ours", "ours_polars", "ours_polars_pd", "ours_duckdb", "ours_duckdb_pd", "ours_chunked")
ANCHORS = ("duckdb_sql", "polars_expr")
PEERS = ("pandera", "gx", "soda")
# Great Expectations needs ~6 min and ~7 GiB per run at 10M rows: ask for it with --tools
DEFAULT_TOOLS = (
    "ours,ours_polars,ours_polars_pd,ours_duckdb,ours_duckdb_pd,duckdb_sql,polars_expr,pandera,soda"
)


def main(
    rows: Annotated[int, typer.Option(help="rows of generated orders")] = 10_000_000,
    repeats: Annotated[int, typer.Option(help="interleaved rounds after the warm-up")] = 3,
    seed: Annotated[int, typer.Option(help="generator seed")] = 7,
    tools: Annotated[
        str, typer.Option(help=f"comma-separated, of {', '.join(OURS + ANCHORS + PEERS)}")
    ] = DEFAULT_TOOLS,
    out: Annotated[Path, typer.Option(help="folder for bench.json and bench.png")] = ROOT
    / "reports"
    / "stage1"
    / "bench",
    name: Annotated[
        str, typer.Option(help="file stem of the outputs (NAME.json/.md/.png)")
    ] = "bench",
    data_dir: Annotated[Path, typer.Option(help="where the generated data is cached")] = ROOT
    / "data"
    / "generated"
    / "stage1",
) -> None:
    """Run the benchmark and write bench.json + bench.png."""
    chosen = [t.strip() for t in tools.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in OURS + ANCHORS + PEERS]
    if unknown:
        raise typer.BadParameter(f"unknown tool(s) {unknown}; use {OURS + ANCHORS + PEERS}")
    load_before = os.getloadavg()
    if any(t in PEERS for t in chosen) and not peers_ready():
        console.print("setting up the peers' venv (first time: a few minutes) ...")
        setup_peers()
    data, rules = _prepare_data(rows, seed, data_dir)
    runs: list[dict[str, Any]] = []
    with Progress(console=console) as progress:
        task = progress.add_task("benchmark runs", total=1 + repeats * len(chosen))
        _run_worker(chosen[0], data, rules, rows)  # warm-up: page cache, imports
        progress.advance(task)
        for round_no in range(repeats):
            order = chosen[round_no % len(chosen) :] + chosen[: round_no % len(chosen)]
            for tool in order:
                result = _run_worker(tool, data, rules, rows)
                result["round"] = round_no
                runs.append(result)
                progress.advance(task)
    summary = _summarise(runs, chosen)
    load_after_tools = os.getloadavg()
    overhead = _monitor_overhead(min(rows, 200_000), seed)
    payload: dict[str, Any] = {
        "benchmark": "stage1 validation vs peers",
        "rows": rows,
        "columns": 12,
        "rules": 14,
        "seed": seed,
        "repeats": repeats,
        "data": str(data),
        "page_cache": "warm (one uncounted warm-up run first)",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count() or 0,
            "note": "shared 2-core machine; figures are medians of interleaved runs",
            "load_before": [round(x, 2) for x in load_before],
            "load_after_tools": [round(x, 2) for x in load_after_tools],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": _versions(runs),
        "equivalence": {t: EQUIVALENCE.get(t, "the reference rules") for t in chosen},
        "summary": summary,
        "monitor_overhead": overhead,
        "runs": runs,
        "command": " ".join(["python", "stage1_validation/bench/run.py", *sys.argv[1:]]),
    }
    payload["ratios"] = _ratios(summary)
    payload["readme_table"] = render_table(payload)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_writer(out / f"{name}.json") as handle:
        json.dump(payload, handle, indent=2)
    _chart(summary, rows, out / f"{name}.png")
    with atomic_writer(out / f"{name}.md") as handle:
        handle.write(render_table(payload))
    _print(summary, overhead)
    console.print(f"wrote {name}.json, {name}.md and {name}.png in {out}")


def _prepare_data(rows: int, seed: int, data_dir: Path) -> tuple[Path, Path]:
    data = data_dir / f"orders_{rows}_{seed}.parquet"
    rules = data_dir / f"orders_{rows}_{seed}_rules.yaml"
    if not data.exists() or not rules.exists():
        console.print(f"generating {rows:,} orders (seed {seed}) ...")
        dataset = make_orders(rows, seed=seed)
        dataset.rules["sample_size"] = 5  # like the peers' summaries: counts plus a few rows
        data_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(data) as tmp:
            dataset.frame.astype({"quantity": "str"}).to_parquet(tmp, index=False)
        with atomic_writer(rules) as handle:
            yaml.safe_dump(dataset.rules, handle, sort_keys=False)
    return data, rules


def _run_worker(tool: str, data: Path, rules: Path, rows: int) -> dict[str, Any]:
    python = str(peer_python()) if tool in PEERS else sys.executable
    command = [python, str(HERE / "worker.py"), tool, str(data), str(rules), str(rows)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeRSSSampler(process.pid) as sampler:
        stdout, stderr = process.communicate(timeout=3600)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{tool} failed ({process.returncode}):\n{stderr[-3000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    result["peak_rss_mb"] = sampler.peak_mb
    return result


def _summarise(runs: list[dict[str, Any]], tools: list[str]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for tool in tools:
        mine = [r for r in runs if r["tool"] == tool]
        summary[tool] = {
            "validate_s": statistics.median(r["validate_s"] for r in mine),
            "load_plus_validate_s": statistics.median(r["total_s"] for r in mine),
            "process_wall_s": statistics.median(r["process_wall_s"] for r in mine),
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in mine),
            "failing_found": mine[0]["failing_found"],
            "failing_rows_reported": mine[0]["failing_rows_reported"],
            "checks": mine[0]["checks"],
        }
    if "ours" in summary:
        base = summary["ours"]
        for values in summary.values():
            values["validate_vs_ours"] = values["validate_s"] / base["validate_s"]
            values["load_plus_validate_vs_ours"] = (
                values["load_plus_validate_s"] / base["load_plus_validate_s"]
            )
            values["peak_rss_vs_ours"] = values["peak_rss_mb"] / base["peak_rss_mb"]
    reference = next((r for r in runs if r["tool"] == "ours"), None)
    for tool, values in summary.items():
        mine = next(r for r in runs if r["tool"] == tool)
        if reference is not None and "counts" in mine:
            # the same failing count for every check: the tools did the same work
            values["counts_match_ours"] = mine["counts"] == reference["counts"]
    return summary


def _ratios(summary: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Validate-time ratios of our backends over the anchors and Soda, from the same run."""
    ratios = {}
    for ours in ("ours_duckdb", "ours_duckdb_pd", "ours_polars", "ours_polars_pd", "ours"):
        for other in (*ANCHORS, "soda", "pandera"):
            if ours in summary and other in summary:
                key = f"{ours}_vs_{other}"
                ratios[key] = round(summary[ours]["validate_s"] / summary[other]["validate_s"], 3)
    return ratios


def _monitor_overhead(rows: int, seed: int, repeats: int = 7) -> dict[str, Any]:
    """A/B in one process: the same validation bare, monitored (default) and with tracemalloc.

    Rounds are interleaved; the overhead is the median over rounds of each round's paired
    ratio (monitored / bare), so a load change between rounds cancels out.
    """
    dataset = make_orders(rows, seed=seed)
    validator = DataValidator.from_dict(dataset.rules)

    def validate() -> None:
        validator.validate_dataset(dataset.frame)

    def noop() -> None:
        return None

    def variants(fn: Any) -> dict[str, Any]:
        return {
            "bare": fn,
            "monitor_default": performance_monitor(fn),
            "monitor_traced": performance_monitor(trace_memory=True)(fn),
        }

    work, empty = variants(validate), variants(noop)
    seconds: dict[str, list[float]] = {name: [] for name in work}
    per_call: dict[str, list[float]] = {name: [] for name in empty}
    calls = 5_000
    validate()  # warm-up
    for round_no in range(repeats):
        names = list(work)
        names = names[round_no % 3 :] + names[: round_no % 3]
        for name in names:
            started = time.perf_counter()
            work[name]()
            seconds[name].append(time.perf_counter() - started)
            fn = empty[name]
            started = time.perf_counter()
            for _ in range(calls):
                fn()
            per_call[name].append((time.perf_counter() - started) / calls * 1e6)
    paired = {
        name: statistics.median(t / b for t, b in zip(seconds[name], seconds["bare"], strict=True))
        for name in seconds
    }
    return {
        "rows": rows,
        "repeats": repeats,
        "calls_per_round": calls,
        "validate_s": {name: statistics.median(v) for name, v in seconds.items()},
        "ratio_vs_bare": paired,
        "overhead_pct": {name: round((r - 1) * 100, 2) for name, r in paired.items()},
        "noop_call_us": {name: statistics.median(v) for name, v in per_call.items()},
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def _versions(runs: list[dict[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {"python": platform.python_version()}
    for run in runs:
        for name, version in run.get("versions", {}).items():
            key = name if name not in ("pandas",) else f"pandas ({run['tool']})"
            found[key] = version
    return found


def _chart(summary: dict[str, dict[str, Any]], rows: int, path: Path) -> None:
    tools = list(summary)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = ["#1f6feb" if t in OURS else "#2da44e" if t in ANCHORS else "#8c959f" for t in tools]
    axes[0].bar(tools, [summary[t]["validate_s"] for t in tools], color=colors)
    axes[0].set_title("validate time (median, s) — lower is better")
    axes[1].bar(tools, [summary[t]["peak_rss_mb"] for t in tools], color=colors)
    axes[1].set_title("peak RSS of the process (median, MiB)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=20)
    fig.suptitle(
        f"Stage 1 validation, {rows:,} rows x 12 columns, 14 rules (shared 2-core machine)"
    )
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def _print(summary: dict[str, dict[str, Any]], overhead: dict[str, Any]) -> None:
    table = Table(title="stage 1 benchmark (medians)")
    for column in (
        "tool",
        "validate s",
        "x ours",
        "load+validate s",
        "peak RSS MiB",
        "x ours",
        "failing rows",
    ):
        table.add_column(column)
    for tool, v in summary.items():
        table.add_row(
            tool,
            f"{v['validate_s']:.2f}",
            f"{v.get('validate_vs_ours', 0):.2f}",
            f"{v['load_plus_validate_s']:.2f}",
            f"{v['peak_rss_mb']:.0f}",
            f"{v.get('peak_rss_vs_ours', 0):.2f}",
            "yes" if v["failing_rows_reported"] else "no",
        )
    console.print(table)
    console.print(
        f"performance_monitor overhead: {overhead['ratio_vs_bare']}, no-op call µs: {overhead['noop_call_us']}"
    )


if __name__ == "__main__":
    typer.run(main)
