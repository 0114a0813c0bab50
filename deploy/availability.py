"""Availability of the compose stack under faults: a replica killed, Redis restarted, load running.

    make compose-availability-stage5                     # builds, starts the stack, measures, stops
    uv run --frozen python deploy/availability.py --duration 60 --concurrency 64

Sends ``POST /predict`` through nginx (127.0.0.1:8080) from ``--concurrency`` clients for
``--duration`` seconds. A third of the way in it SIGKILLs one API replica (compose's restart
policy brings it back); two thirds in it restarts Redis. Every request is counted: availability is
the share answered 200 within the client's timeout. Writes ``deploy/results/compose-availability.json``
and a PNG timeline (requests and failures per second, with the faults marked).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from opskit.machine import machine_facts

HERE = Path(__file__).resolve().parent
COMPOSE_FILE = HERE / "docker-compose.yml"


def compose_command() -> list[str]:
    """``docker compose`` (v2 plugin) when it works, else Debian's ``docker-compose`` 1.29."""
    for docker in ("/usr/bin/docker", shutil.which("docker") or ""):
        if (
            docker
            and subprocess.run(
                [docker, "compose", "version"], capture_output=True, check=False
            ).returncode
            == 0
        ):
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    raise SystemExit(
        "error: neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)"
    )


def compose(project: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a compose command on the stack's file and project."""
    command = [*compose_command(), "-p", project, "-f", str(COMPOSE_FILE), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)


async def _client(
    client: httpx.AsyncClient,
    url: str,
    key: str,
    stop_at: float,
    log: list[tuple[float, int, float]],
) -> None:
    body = {"features": [0.1 * i for i in range(10)]}
    while time.monotonic() < stop_at:
        started = time.monotonic()
        try:
            response = await client.post(url, json=body, headers={"X-API-Key": key})
            code = response.status_code
        except httpx.HTTPError:
            code = 0
        log.append((started, code, time.monotonic() - started))


async def _faults(project: str, duration: float, t0: float, marks: list[dict[str, Any]]) -> None:
    for at, label, args in (
        (duration / 3, "kill api-2 (SIGKILL)", ("kill", "-s", "SIGKILL", "api-2")),
        (2 * duration / 3, "restart redis", ("restart", "-t", "0", "redis")),
    ):
        await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
        done = await asyncio.to_thread(compose, project, *args)
        marks.append(
            {"at_s": round(time.monotonic() - t0, 2), "fault": label, "rc": done.returncode}
        )
    # compose 1.29 does not restart a killed container by itself when `kill` was asked: start it
    await asyncio.sleep(2)
    await asyncio.to_thread(compose, project, "start", "api-2")


async def _measure(
    url: str, key: str, project: str, duration: float, concurrency: int
) -> dict[str, Any]:
    log: list[tuple[float, int, float]] = []
    marks: list[dict[str, Any]] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=10.0, limits=limits) as client:
        t0 = time.monotonic()
        stop_at = t0 + duration
        await asyncio.gather(
            _faults(project, duration, t0, marks),
            *(_client(client, url, key, stop_at, log) for _ in range(concurrency)),
        )
    ok = [lat for _, code, lat in log if code == 200]
    failed: dict[str, int] = {}
    for _, code, _ in log:
        if code != 200:
            failed[str(code)] = failed.get(str(code), 0) + 1
    per_second: dict[int, list[int]] = {}
    for started, code, _ in log:
        cell = per_second.setdefault(int(started - t0), [0, 0])
        cell[0 if code == 200 else 1] += 1
    lat_ms = sorted(1000 * x for x in ok)
    return {
        "requests": len(log),
        "ok": len(ok),
        "failed": sum(failed.values()),
        "failed_by_status": failed,
        "availability": len(ok) / len(log) if log else 0.0,
        "throughput_rps": len(log) / duration,
        "p50_ms": statistics.median(lat_ms) if lat_ms else None,
        "p99_ms": lat_ms[int(0.99 * (len(lat_ms) - 1))] if lat_ms else None,
        "faults": marks,
        "timeline": [[s, *per_second[s]] for s in sorted(per_second)],
    }


def _plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seconds = [row[0] for row in result["timeline"]]
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(seconds, [row[1] for row in result["timeline"]], label="answered 200 per second")
    ax.plot(seconds, [row[2] for row in result["timeline"]], label="failed per second", color="red")
    for mark in result["faults"]:
        ax.axvline(mark["at_s"], color="grey", linestyle="--")
        ax.text(mark["at_s"], ax.get_ylim()[1] * 0.9, f" {mark['fault']}", fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_title(
        f"compose stack: {result['ok']:,}/{result['requests']:,} answered "
        f"({100 * result['availability']:.3f}%)"
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(
    duration: Annotated[float, typer.Option(help="seconds of load")] = 60.0,
    concurrency: Annotated[int, typer.Option(help="clients in flight")] = 64,
    project: Annotated[str, typer.Option(help="compose project name")] = "stage5",
    url: Annotated[str, typer.Option(help="the load balancer")] = "http://127.0.0.1:8080/predict",
    out: Annotated[Path, typer.Option(help="result folder")] = HERE / "results",
) -> None:
    """Measure availability through nginx while a replica dies and Redis restarts."""
    key = os.environ.get("STAGE5_API_KEY", "")
    if not key:
        raise SystemExit("error: set STAGE5_API_KEY to the key the stack was started with")
    state = compose(project, "ps")
    if "Up" not in state.stdout and "running" not in state.stdout:
        raise SystemExit(
            f"error: the compose project {project!r} is not up: make compose-up-stage5"
        )
    load_before = os.getloadavg()
    result = asyncio.run(_measure(url, key, project, duration, concurrency))
    result.update(
        {
            "command": f"uv run --frozen python deploy/availability.py --duration {duration:g} --concurrency {concurrency}",
            "duration_s": duration,
            "concurrency": concurrency,
            "compose": " ".join(compose_command()),
            "replicas": 3,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_facts(load_before=load_before),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compose-availability.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2), encoding="utf-8")
    tmp.replace(path)
    _plot(result, out / "compose-availability.png")
    print(
        f"{result['ok']:,}/{result['requests']:,} answered 200 ({100 * result['availability']:.4f}%), "
        f"failed {result['failed_by_status'] or 0}; p99 {result['p99_ms']:.1f} ms; faults {result['faults']}"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    typer.run(main)
