"""Benchmark: the naive roadmap endpoint vs this service at 1000 connections, in one run.

    uv run --frozen python stage5_api/bench/run.py                 # defaults: 20 s runs, 3 rounds
    uv run --frozen python stage5_api/bench/run.py --duration 10 --rounds 2 \
        --rates 250,500,1000,1500,2000 --point-s 5                 # the README's run, ≈ 5.5 min
    uv run --frozen python stage5_api/bench/run.py --models forest --no-loops --no-sweeps \
        --out /tmp/bench                                            # one model, closed loop only

For each bundled model (a logistic regression and a random forest of 100 trees: the model's
cost per call decides the design), interleaves naive and service runs (A B A B) with wrk at 1000
connections; then compares the event loops (asyncio vs uvloop) on the service, and sweeps
constant request rates with the open-loop generator for a latency-vs-throughput chart (logistic
regression). Writes ``bench.json`` and ``latency_vs_throughput.png`` to ``--out``; CPU seconds
of server and machine are recorded per run, and each model's in-process cost per call.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any

import psutil
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gradekit.scorecard import write_atomic
from opskit.machine import machine_facts
from stage5_api.services.bundled_model import BUNDLED_KINDS, train_bundled_model
from stage5_grading.loadtest.openloop import run_open_loop
from stage5_grading.loadtest.server import AppTarget, UvicornServer
from stage5_grading.loadtest.wrk import run_wrk, wrk_version

HERE = Path(__file__).resolve().parent
NAIVE = AppTarget("stage5_api.naive:app")
SERVICE = AppTarget("stage5_api.main:app")
BODY = json.dumps({"features": [0.1] * 10})
console = Console()


def _rows(n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return [
        json.dumps({"features": [round(rng.uniform(-2, 2), 3) for _ in range(10)]})
        for _ in range(n)
    ]


def _machine_cpu() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.system)


def _model_cost_ms(kind: str, batch_sizes: tuple[int, ...] = (1, 64)) -> dict[str, float]:
    """In-process milliseconds per ``predict_proba`` call by batch size (median of 15 calls)."""
    import numpy as np

    model = train_bundled_model(kind)
    out = {}
    for n in batch_sizes:
        rows = np.random.default_rng(n).uniform(-2, 2, size=(n, 10))
        model.predict_proba(rows)  # type: ignore[attr-defined]  # warm-up
        times = []
        for _ in range(15):
            started = time.perf_counter()
            model.predict_proba(rows)  # type: ignore[attr-defined]
            times.append(time.perf_counter() - started)
        out[f"rows_{n}"] = round(1000 * statistics.median(times), 3)
    return out


def _closed(
    target: AppTarget,
    *,
    loop: str,
    workers: int,
    duration: float,
    seed: int,
    model: str = "logreg",
) -> dict:
    env = {
        "STAGE5_CACHE_PREFIX": f"stage5bench:{uuid.uuid4().hex}:",
        "STAGE5_BUNDLED_MODEL": model,
    }
    with UvicornServer(target, workers=workers, loop=loop, env=env) as server:
        run_wrk(server.url + "/predict", BODY, connections=100, duration_s=2)  # warm-up
        cpu0, m0 = server.cpu_seconds(), _machine_cpu()
        r = run_wrk(
            server.url + "/predict",
            BODY,
            connections=1000,
            duration_s=duration,
            random_width=10,
            seed=seed,
        )
        server_cpu = server.cpu_seconds() - cpu0
        machine_cpu = _machine_cpu() - m0
    return {
        **r.model_dump(),
        "failed": r.failed,
        "server_cpu_s": round(server_cpu, 1),
        "other_cpu_s": round(machine_cpu - server_cpu, 1),
    }


def _sweep(target: AppTarget, rates: list[float], point_s: float, workers: int) -> list[dict]:
    out = []
    with UvicornServer(target, workers=workers, loop="asyncio") as server:
        run_wrk(server.url + "/predict", BODY, connections=100, duration_s=2)  # warm-up
        for rate in rates:
            r = run_open_loop(
                server.url + "/predict", _rows(500, int(rate)), rate=rate, duration_s=point_s
            )
            out.append(r.model_dump())
            if r.p99_ms > 5000:  # far past saturation: higher rates only add queueing
                break
    return out


def _chart(
    sweeps: dict[str, list[dict]], by_model: dict[str, dict[str, list[dict]]], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"naive": "#d62728", "service": "#1f77b4"}
    markers = {"logreg": "x", "forest": "^"}
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, points in sweeps.items():
        ax.plot(
            [p["achieved_rps"] for p in points],
            [p["p99_ms"] for p in points],
            "o-",
            color=colors[name],
            label=f"{name}, logreg: open loop, p99 from intended send time",
        )
    for kind, runs_by_server in by_model.items():
        for name, runs in runs_by_server.items():
            ax.scatter(
                [r["rps"] for r in runs],
                [r["p99_ms"] for r in runs],
                marker=markers.get(kind, "s"),
                s=80,
                color=colors[name],
                label=f"{name}, {kind}: wrk 1000 connections (closed loop)",
            )
    ax.axhline(100, color="grey", ls="--", lw=1, label="100 ms target")
    ax.set_yscale("log")
    ax.set_xlabel("throughput (successful req/s)")
    ax.set_ylabel("p99 latency (ms, log scale)")
    ax.set_title("Stage 5: latency vs throughput (shared 2-core machine, load generator beside)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    tmp.replace(path)


def _median_summary(runs: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    keys = ("rps", "p50_ms", "p99_ms", "max_ms", "failed")
    return {
        name: {k: statistics.median(r[k] for r in rs) for k in keys}
        for name, rs in runs.items()
        if rs
    }


def main(
    duration: Annotated[float, typer.Option(help="seconds per 1000-connection run")] = 20,
    rounds: Annotated[int, typer.Option(help="naive/service pairs per model, interleaved")] = 3,
    workers: Annotated[int, typer.Option(help="uvicorn workers per server")] = 2,
    models: Annotated[
        str, typer.Option(help=f"bundled models to compare, comma-separated ({BUNDLED_KINDS})")
    ] = "logreg,forest",
    loops: Annotated[bool, typer.Option(help="compare uvloop and asyncio")] = True,
    sweeps_on: Annotated[
        bool, typer.Option("--sweeps/--no-sweeps", help="open-loop rate sweeps")
    ] = True,
    rates: Annotated[str, typer.Option(help="open-loop rates, comma-separated")] = (
        "250,500,1000,1500,2000,3000"
    ),
    point_s: Annotated[float, typer.Option(help="seconds per open-loop rate")] = 8,
    out: Annotated[Path, typer.Option(help="results folder")] = HERE / "results",
) -> None:
    """Run the whole benchmark and write JSON + PNG."""
    rate_list = [float(r) for r in rates.split(",")]
    kinds = [k.strip() for k in models.split(",") if k.strip()]
    unknown = sorted(set(kinds) - set(BUNDLED_KINDS))
    if unknown or not kinds:
        raise typer.BadParameter(f"--models {models!r}: use some of {', '.join(BUNDLED_KINDS)}")
    by_model: dict[str, dict[str, list[dict]]] = {k: {"naive": [], "service": []} for k in kinds}
    loop_runs: dict[str, dict] = {}
    sweeps: dict[str, list[dict]] = {}
    steps = 2 * rounds * len(kinds) + (2 if loops else 0) + (2 if sweeps_on else 0)
    with Progress(console=console) as progress:
        task = progress.add_task("benchmark", total=steps)
        for kind in kinds:
            for i in range(rounds):
                for name, target in (("naive", NAIVE), ("service", SERVICE)):
                    progress.update(
                        task, description=f"{kind}, round {i + 1}: {name} at 1000 connections"
                    )
                    by_model[kind][name].append(
                        _closed(
                            target,
                            loop="asyncio",
                            workers=workers,
                            duration=duration,
                            seed=i,
                            model=kind,
                        )
                    )
                    progress.advance(task)
        for loop in ("uvloop", "asyncio") if loops else ():
            progress.update(task, description=f"service with the {loop} loop")
            loop_runs[loop] = _closed(
                SERVICE, loop=loop, workers=workers, duration=duration, seed=99
            )
            progress.advance(task)
        for name, target in (("naive", NAIVE), ("service", SERVICE)) if sweeps_on else ():
            progress.update(task, description=f"open-loop sweep: {name}")
            sweeps[name] = _sweep(target, rate_list, point_s, workers)
            progress.advance(task)

    model_results: dict[str, dict[str, Any]] = {}
    for kind, runs in by_model.items():
        summary = _median_summary(runs)
        naive_rps = summary["naive"]["rps"]
        model_results[kind] = {
            "model_ms_per_call": _model_cost_ms(kind),
            "runs": runs,
            "median": summary,
            "throughput_ratio_service_over_naive": (
                round(summary["service"]["rps"] / naive_rps, 2) if naive_rps else None
            ),
        }
    result: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "stage5_api/bench/run.py", *sys.argv[1:]]),
        "machine": machine_facts(),
        "params": {
            "duration_s": duration,
            "rounds": rounds,
            "workers": workers,
            "models": kinds,
            "rates": rate_list,
            "point_s": point_s,
            "connections": 1000,
            "seeds": list(range(rounds)),
            "rows": "random 10-feature rows per request",
            "model": "bundled LogisticRegression (logreg) and RandomForestClassifier with 100 "
            "trees (forest), 10 features; loops and sweeps use logreg",
        },
        "versions": {
            "wrk": wrk_version(),
            **{
                p: version(p)
                for p in (
                    "fastapi",
                    "uvicorn",
                    "starlette",
                    "scikit-learn",
                    "numpy",
                    "redis",
                    "orjson",
                    "uvloop",
                    "httptools",
                )
            },
        },
        "models": model_results,
        "event_loops": loop_runs,
        "open_loop_sweeps": sweeps,
    }
    if "logreg" in model_results:  # the headline figures, under their earlier keys
        result["closed_loop_runs"] = model_results["logreg"]["runs"]
        result["closed_loop_median"] = model_results["logreg"]["median"]
        result["throughput_ratio_service_over_naive"] = model_results["logreg"][
            "throughput_ratio_service_over_naive"
        ]
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "bench.json", json.dumps(result, indent=2) + "\n")
    _chart(sweeps, by_model, out / "latency_vs_throughput.png")

    table = Table(title=f"1000 connections, median of {rounds} interleaved runs per model")
    for col in ("model", "ms/call (1, 64 rows)", "server", "req/s", "p50 ms", "p99 ms"):
        table.add_column(col)
    for col in ("max ms", "failed", "service/naive"):
        table.add_column(col)
    for kind, res in model_results.items():
        cost = res["model_ms_per_call"]
        for name, m in res["median"].items():
            table.add_row(
                kind,
                f"{cost['rows_1']:.2f}, {cost['rows_64']:.2f}",
                name,
                f"{m['rps']:.0f}",
                f"{m['p50_ms']:.0f}",
                f"{m['p99_ms']:.0f}",
                f"{m['max_ms']:.0f}",
                f"{m['failed']:.0f}",
                f"{res['throughput_ratio_service_over_naive']}×" if name == "service" else "",
            )
    console.print(table)
    for loop, r in loop_runs.items():
        console.print(
            f"service, {loop} loop: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.0f} ms, "
            f"max {r['max_ms']:.0f} ms, failed {r['failed']}"
        )
    console.print(f"wrote {out / 'bench.json'} and {out / 'latency_vs_throughput.png'}")


if __name__ == "__main__":
    typer.run(main)
