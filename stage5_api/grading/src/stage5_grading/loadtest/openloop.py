"""Open-loop (constant-rate) load with latency counted from each request's intended send time.

A closed-loop tool waits for an answer before sending again, so a slow server is sent less and
its queueing never shows (coordinated omission). Here request *i* is due at ``t0 + i / rate``
whatever happened before; its latency is ``answer time - due time``. A request that found no
free connection waited for one, and that wait is in its latency too.

The generator also reports how late *it* was: ``lag_p99_ms`` is the 99th percentile of the
delay between a request's due time and the moment the generator got round to it. A late
generator (a busy machine) inflates every latency it measures, so a grader must not blame
the server for it.
"""

from __future__ import annotations

import asyncio
import gc
import time
from urllib.parse import urlsplit

import numpy as np
from pydantic import BaseModel

__all__ = ["OpenLoopResult", "run_open_loop"]


class OpenLoopResult(BaseModel):
    """Latencies from intended send times at a fixed offered rate."""

    rate: float
    duration_s: float
    warmup_s: float = 0.0
    sent: int
    ok: int
    shed: int
    failed: int
    achieved_rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int] = {}
    lag_p99_ms: float = 0.0
    generator_cpu_s: float = 0.0


async def _connect(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(host, port)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


def _requests(url: str, bodies: list[bytes]) -> tuple[str, int, list[bytes]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    raw = [
        (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]
    return host, port, raw


async def _run(
    url: str,
    bodies: list[bytes],
    rate: float,
    duration_s: float,
    connections: int,
    timeout_s: float,
    warmup_s: float,
) -> OpenLoopResult:
    host, port, requests = _requests(url, bodies)
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(None)  # connect lazily
    skip = int(rate * warmup_s)  # sent at the same rate, not counted (as wrk2 calibrates)
    total = skip + int(rate * duration_s)
    latencies = np.full(total, np.nan)
    lags = np.full(total, np.nan)
    counts = {"ok": 0, "shed": 0, "failed": 0}
    statuses: dict[str, int] = {}

    async def one(i: int, due: float) -> None:
        lags[i] = time.perf_counter() - due
        conn = await pool.get()
        try:
            if conn is None:
                conn = await _connect(host, port)
            request = requests[i % len(requests)]
            status = await asyncio.wait_for(_exchange(*conn, request), timeout_s)
            latencies[i] = time.perf_counter() - due
            key = "ok" if status == 200 else "shed" if status == 503 else "failed"
            if i >= skip:
                counts[key] += 1
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            pool.put_nowait(conn)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            if i >= skip:
                counts["failed"] += 1
                name = type(exc).__name__
                statuses[name] = statuses.get(name, 0) + 1
            if conn is not None:
                conn[1].close()
            pool.put_nowait(None)

    # Only unfinished tasks are kept (a list of every task would grow for the whole run), and
    # the generator's own garbage collector is off while it runs: a pause here would be
    # counted as the server's latency.
    pending: set[asyncio.Task[None]] = set()
    cpu0 = time.process_time()
    t0 = time.perf_counter() + 0.05
    sent = 0
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        while sent < total:
            now = time.perf_counter()
            while sent < total and t0 + sent / rate <= now:
                task = asyncio.create_task(one(sent, t0 + sent / rate))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            await asyncio.sleep(0.0005)
        await asyncio.gather(*pending)
    finally:
        if gc_was_enabled:
            gc.enable()
    elapsed = time.perf_counter() - t0 - warmup_s
    while not pool.empty():
        conn = pool.get_nowait()
        if conn is not None:
            conn[1].close()
    cpu = time.process_time() - cpu0
    measured = latencies[skip:]
    done = measured[~np.isnan(measured)] * 1000
    lag = lags[skip:]
    lag = lag[~np.isnan(lag)] * 1000
    return OpenLoopResult(
        rate=rate,
        duration_s=round(elapsed, 3),
        warmup_s=warmup_s,
        sent=total - skip,
        ok=counts["ok"],
        shed=counts["shed"],
        failed=counts["failed"],
        achieved_rps=round(counts["ok"] / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(float(np.percentile(done, 50)), 2) if len(done) else float("inf"),
        p99_ms=round(float(np.percentile(done, 99)), 2) if len(done) else float("inf"),
        max_ms=round(float(done.max()), 2) if len(done) else float("inf"),
        statuses=statuses,
        lag_p99_ms=round(float(np.percentile(lag, 99)), 2) if len(lag) else 0.0,
        generator_cpu_s=round(cpu, 2),
    )


def run_open_loop(
    url: str,
    bodies: list[str],
    *,
    rate: float = 2000.0,
    duration_s: float = 10.0,
    connections: int = 256,
    timeout_s: float = 30.0,
    warmup_s: float = 0.0,
) -> OpenLoopResult:
    """Offer ``rate`` requests/s for ``warmup_s + duration_s`` s over up to ``connections`` sockets.

    Request *i* posts ``bodies[i % len(bodies)]``. The first ``warmup_s`` seconds (connections
    opening, first batches) are sent at the same rate but left out of every figure.
    """
    if rate <= 0 or duration_s <= 0 or warmup_s < 0 or connections < 1 or not bodies:
        raise ValueError(
            f"run_open_loop(rate={rate}, duration_s={duration_s}, warmup_s={warmup_s}, "
            f"connections={connections}, {len(bodies)} bodies): rate, duration_s and connections "
            "must be positive, warmup_s zero or more, and bodies not empty"
        )
    encoded = [b.encode() for b in bodies]
    return asyncio.run(_run(url, encoded, rate, duration_s, connections, timeout_s, warmup_s))
