"""Why p99 with 1000 requests in flight is far above Little's law: GC and sockets, interleaved.

    uv run --frozen python stage5_api/bench/tail.py --rounds 2 --duration 10

Runs the service three ways, A B C A B C, each under wrk with 1000 connections: as before this
investigation (Python's default garbage collector, ``STAGE5_GC_FREEZE=false
STAGE5_GC_GEN0_THRESHOLD=0``, and ``uvicorn --workers 2`` sharing one listening socket), with
the tuned GC, and with the tuned GC plus one SO_REUSEPORT socket per worker (``stage5_api.serve``,
the default now). Per run: req/s, p50/p90/p99/max, server CPU per request, GC pauses by
generation (from ``stage5_gc_pause_seconds`` on /metrics) and how the 1000 connections were
spread over the uvicorn workers (psutil, sampled mid-run). Writes ``results/tail.json``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import psutil
import typer
from rich.console import Console

from gradekit.scorecard import write_atomic
from stage5_grading.loadtest.server import AppTarget, UvicornServer
from stage5_grading.loadtest.wrk import run_wrk

HERE = Path(__file__).resolve().parent
BODY = json.dumps({"features": [0.1] * 10})
GC_DEFAULTS = {"STAGE5_GC_FREEZE": "false", "STAGE5_GC_GEN0_THRESHOLD": "0"}
VARIANTS: dict[str, tuple[dict[str, str], bool]] = {  # env, one socket per worker
    "before": (GC_DEFAULTS, False),
    "gc_tuned": ({}, False),
    "gc_tuned_reuseport": ({}, True),
}
console = Console()


def _gc(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(r'stage5_gc_pause_seconds_(count|sum)\{generation="(\d)"\} (\S+)', line)
        if m:
            key = f"gen{m.group(2)}_{m.group(1)}"
            out[key] = out.get(key, 0.0) + float(m.group(3))
    return out


def _connections_per_worker(server: UvicornServer) -> list[int]:
    assert server.proc is not None
    counts = []
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            conns = child.net_connections("tcp")
        except psutil.Error:
            continue
        n = sum(1 for c in conns if c.status == "ESTABLISHED" and c.laddr.port == server.port)
        if n:
            counts.append(n)
    return sorted(counts)


def _run(
    name: str, env: dict[str, str], reuseport: bool, duration: float, seed: int
) -> dict[str, Any]:
    env = {**env, "STAGE5_CACHE_PREFIX": f"stage5tail:{uuid.uuid4().hex}:"}
    app = AppTarget("stage5_api.main:app")
    with UvicornServer(app, workers=2, env=env, reuseport=reuseport) as server:
        run_wrk(server.url + "/predict", BODY, connections=100, duration_s=2)  # warm-up
        time.sleep(1.5)  # GC pauses reach /metrics once a second
        before = _gc(httpx.get(server.url + "/metrics", timeout=30).text)
        split: list[int] = []
        sampler = threading.Timer(
            duration / 2, lambda: split.extend(_connections_per_worker(server))
        )
        sampler.start()
        cpu0 = server.cpu_seconds()
        r = run_wrk(
            server.url + "/predict",
            BODY,
            connections=1000,
            duration_s=duration,
            random_width=10,
            seed=seed,
        )
        cpu = server.cpu_seconds() - cpu0
        sampler.join()
        time.sleep(1.5)
        after = _gc(httpx.get(server.url + "/metrics", timeout=30).text)
    gc_delta = {k: round(after.get(k, 0.0) - before.get(k, 0.0), 3) for k in after}
    return {
        "variant": name,
        "load_average_1m": round(psutil.getloadavg()[0], 2),
        **r.model_dump(),
        "failed": r.failed,
        "server_cpu_us_per_request": round(1e6 * cpu / r.requests, 1) if r.requests else None,
        "gc_pauses": gc_delta,
        "connections_per_worker": split,
    }


def main(
    rounds: Annotated[int, typer.Option(help="A/B pairs")] = 2,
    duration: Annotated[float, typer.Option(help="seconds per wrk run")] = 10,
    out: Annotated[Path, typer.Option(help="results folder")] = HERE / "results",
) -> None:
    """Run the interleaved A/B and write ``tail.json``."""
    runs = []
    for i in range(rounds):
        for name, (env, reuseport) in VARIANTS.items():
            run = _run(name, env, reuseport, duration, seed=i)
            runs.append(run)
            gc = run["gc_pauses"]
            console.print(
                f"{name:18s} load {run['load_average_1m']:4.1f} | {run['rps']:6.0f} req/s, p50 "
                f"{run['p50_ms']:.0f}, p90 {run['p90_ms']:.0f}, p99 {run['p99_ms']:.0f}, max "
                f"{run['max_ms']:.0f} ms, failed {run['failed']} | CPU "
                f"{run['server_cpu_us_per_request']:.0f} us/request | full GCs "
                f"{gc.get('gen2_count', 0):.0f} ({1000 * gc.get('gen2_sum', 0):.0f} ms), all GC "
                f"{1000 * sum(v for k, v in gc.items() if k.endswith('_sum')):.0f} ms | "
                f"connections per worker {run['connections_per_worker']}"
            )
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f"python stage5_api/bench/tail.py --rounds {rounds} --duration {duration:g}",
        "note": "GC pause durations are wall-clock: on a loaded machine they include time the "
        "worker was descheduled",
        "runs": runs,
    }
    write_atomic(out / "tail.json", json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {out / 'tail.json'}")


if __name__ == "__main__":
    typer.run(main)
