"""Benchmark: the naive roadmap endpoint vs this service at 1000 connections, in one run.

    uv run --frozen python stage5_api/bench/run.py                 # defaults (≈ 6 minutes)
    uv run --frozen python stage5_api/bench/run.py --duration 8 --rounds 2 --point-s 4

Interleaves naive and service runs (A B A B) with wrk at 1000 connections, compares the event
loops (asyncio vs uvloop) on the service, and sweeps constant request rates with the open-loop
generator for a latency-vs-throughput chart. Writes ``results/bench.json`` and
``results/latency_vs_throughput.png``; CPU seconds of server and machine are recorded per run.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
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
from stage5_api.loadtest.openloop import run_open_loop
from stage5_api.loadtest.server import AppTarget, UvicornServer
from stage5_api.loadtest.wrk import run_wrk, wrk_version

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


def _closed(target: AppTarget, *, loop: str, workers: int, duration: float, seed: int) -> dict:
    env = {"STAGE5_CACHE_PREFIX": f"stage5bench:{uuid.uuid4().hex}:"}
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


def _chart(sweeps: dict[str, list[dict]], closed: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for (name, points), color in zip(sweeps.items(), ("#d62728", "#1f77b4"), strict=False):
        ax.plot(
            [p["achieved_rps"] for p in points],
            [p["p99_ms"] for p in points],
            "o-",
            color=color,
            label=f"{name}: open loop, p99 from intended send time",
        )
        runs = closed[name]
        ax.scatter(
            [r["rps"] for r in runs],
            [r["p99_ms"] for r in runs],
            marker="x",
            s=80,
            color=color,
            label=f"{name}: wrk 1000 connections (closed loop)",
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


def main(
    duration: Annotated[float, typer.Option(help="seconds per 1000-connection run")] = 20,
    rounds: Annotated[int, typer.Option(help="naive/service pairs, interleaved")] = 3,
    workers: Annotated[int, typer.Option(help="uvicorn workers per server")] = 2,
    rates: Annotated[str, typer.Option(help="open-loop rates, comma-separated")] = (
        "250,500,1000,1500,2000,3000"
    ),
    point_s: Annotated[float, typer.Option(help="seconds per open-loop rate")] = 8,
    out: Annotated[Path, typer.Option(help="results folder")] = HERE / "results",
) -> None:
    """Run the whole benchmark and write JSON + PNG."""
    rate_list = [float(r) for r in rates.split(",")]
    closed: dict[str, list[dict]] = {"naive": [], "service": []}
    loops: dict[str, dict] = {}
    sweeps: dict[str, list[dict]] = {}
    steps = 2 * rounds + 2 + 2
    with Progress(console=console) as progress:
        task = progress.add_task("benchmark", total=steps)
        for i in range(rounds):
            for name, target in (("naive", NAIVE), ("service", SERVICE)):
                progress.update(task, description=f"round {i + 1}: {name} at 1000 connections")
                closed[name].append(
                    _closed(target, loop="asyncio", workers=workers, duration=duration, seed=i)
                )
                progress.advance(task)
        for loop in ("uvloop", "asyncio"):
            progress.update(task, description=f"service with the {loop} loop")
            loops[loop] = _closed(SERVICE, loop=loop, workers=workers, duration=duration, seed=99)
            progress.advance(task)
        for name, target in (("naive", NAIVE), ("service", SERVICE)):
            progress.update(task, description=f"open-loop sweep: {name}")
            sweeps[name] = _sweep(target, rate_list, point_s, workers)
            progress.advance(task)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in closed[name])

    summary = {
        name: {k: med(name, k) for k in ("rps", "p50_ms", "p99_ms", "max_ms", "failed")}
        for name in closed
    }
    ratio = summary["service"]["rps"] / summary["naive"]["rps"] if summary["naive"]["rps"] else 0
    result: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "stage5_api/bench/run.py", *sys.argv[1:]]),
        "machine": {
            "cpus": psutil.cpu_count(),
            "python": platform.python_version(),
            "note": "shared 2-core machine; load generator on the same machine",
        },
        "params": {
            "duration_s": duration,
            "rounds": rounds,
            "workers": workers,
            "rates": rate_list,
            "point_s": point_s,
            "connections": 1000,
            "seeds": list(range(rounds)),
            "rows": "random 10-feature rows per request",
            "model": "bundled LogisticRegression, 10 features",
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
        "closed_loop_runs": closed,
        "closed_loop_median": summary,
        "throughput_ratio_service_over_naive": round(ratio, 2),
        "event_loops": loops,
        "open_loop_sweeps": sweeps,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "bench.json", json.dumps(result, indent=2) + "\n")
    _chart(sweeps, closed, out / "latency_vs_throughput.png")

    table = Table(title=f"1000 connections, median of {rounds} interleaved runs")
    for col in ("server", "req/s", "p50 ms", "p99 ms", "max ms", "failed"):
        table.add_column(col)
    for name, s in summary.items():
        table.add_row(
            name,
            f"{s['rps']:.0f}",
            f"{s['p50_ms']:.0f}",
            f"{s['p99_ms']:.0f}",
            f"{s['max_ms']:.0f}",
            f"{s['failed']:.0f}",
        )
    console.print(table)
    console.print(f"throughput ratio service/naive: [bold]{ratio:.2f}×[/]")
    for loop, r in loops.items():
        console.print(
            f"service, {loop} loop: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.0f} ms, "
            f"max {r['max_ms']:.0f} ms, failed {r['failed']}"
        )
    console.print(f"wrote {out / 'bench.json'} and {out / 'latency_vs_throughput.png'}")


if __name__ == "__main__":
    typer.run(main)
