"""Hidden tests of problem 3 (FastAPI ``app`` with POST /predict), in process and over HTTP.

Blocking is detected by behaviour, without timing the handler: ``time.sleep`` is wrapped
before the candidate's module is imported, and any call made on an event-loop thread is
recorded; a 10 ms heartbeat task also records the longest stall of the loop (limit: 2 s, for CPU-bound handlers).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, SupportsIndex

import httpx
import uvicorn

from diagnostics.hidden.records import ProbeResult

__all__ = ["PROBES", "install_sleep_watch"]

Probe = Callable[[ModuleType], Awaitable[ProbeResult]]
STALL_LIMIT_S = 2.0  # generous: the time.sleep watch is the precise detector
_loop_sleeps: list[float] = []


def install_sleep_watch() -> None:
    """Wrap time.sleep so a call on a thread running an event loop is recorded (then slept)."""
    real_sleep = time.sleep

    def watched_sleep(seconds: float | SupportsIndex) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: a worker thread may sleep freely
            pass
        else:
            _loop_sleeps.append(float(seconds))  # type: ignore[arg-type]
        real_sleep(seconds)

    time.sleep = watched_sleep


def _client(module: ModuleType) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=module.app)
    return httpx.AsyncClient(transport=transport, base_url="http://candidate", timeout=30)


def _check_answer(response: httpx.Response, data: list[float]) -> str | None:
    """None when the response is a correct prediction for ``data``; else what is wrong."""
    if response.status_code != 200:
        return f"status {response.status_code} for {data}: {response.text[:120]}"
    body = response.json()
    if not isinstance(body, dict) or set(body) != {"prediction", "timestamp"}:
        return f"body {body!r} is not exactly {{prediction, timestamp}}"
    prediction = body["prediction"]
    if isinstance(prediction, bool) or not isinstance(prediction, int | float):
        return f"prediction {prediction!r} is not a number"
    if not math.isclose(prediction, sum(data) / len(data), rel_tol=1e-9, abs_tol=1e-9):
        return f"prediction {prediction} for {data}, expected the mean {sum(data) / len(data)}"
    if not isinstance(body["timestamp"], str):
        return f"timestamp {body['timestamp']!r} is not a string"
    return None


def _verdict(probe_id: str, problems: list[str], ok_text: str) -> ProbeResult:
    ok = not problems
    return ProbeResult(
        id=probe_id, passed=ok, evidence=ok_text if ok else "; ".join(problems[:3]), value=ok
    )


async def probe_schema(module: ModuleType) -> ProbeResult:
    """Three valid requests answered with exactly {prediction, timestamp}."""
    problems = []
    async with _client(module) as client:
        inputs: list[list[float]] = [[1, 2, 3, 4, 5], [2.5], [-1, 0, 10, 0.25]]
        for data in inputs:
            problem = _check_answer(await client.post("/predict", json={"data": data}), data)
            if problem:
                problems.append(problem)
    return _verdict("p3.schema", problems, "200 with {prediction: mean, timestamp} for 3 inputs")


async def probe_timestamp(module: ModuleType) -> ProbeResult:
    """ISO-8601, with a UTC offset, close to now."""
    async with _client(module) as client:
        response = await client.post("/predict", json={"data": [1, 2, 3]})
    raw = response.json().get("timestamp") if response.status_code == 200 else None
    problems = []
    try:
        stamp = datetime.fromisoformat(str(raw))
    except ValueError:
        problems.append(f"timestamp {raw!r} is not ISO-8601")
    else:
        if stamp.tzinfo is None:
            problems.append(f"timestamp {raw!r} has no UTC offset")
        elif abs((stamp - datetime.now(UTC)).total_seconds()) > 600:
            problems.append(f"timestamp {raw!r} is more than 10 minutes from now")
    return _verdict("p3.timestamp", problems, f"timestamp {raw!r} is ISO-8601 with an offset")


async def _expect_422(module: ModuleType, bodies: list[Any]) -> list[str]:
    problems = []
    async with _client(module) as client:
        for body in bodies:
            response = await client.post("/predict", json=body)
            if response.status_code != 422:
                problems.append(f"{body!r} gave {response.status_code}, expected 422")
    return problems


async def probe_reject_empty(module: ModuleType) -> ProbeResult:
    """An empty list is not a valid input."""
    problems = await _expect_422(module, [{"data": []}])
    return _verdict("p3.reject_empty", problems, "{'data': []} gave 422")


async def probe_reject_bad_types(module: ModuleType) -> ProbeResult:
    """Strings, a missing field, another field name, a non-list."""
    bodies: list[Any] = [{"data": ["a", "b"]}, {}, {"values": [1]}, {"data": 5}]
    problems = await _expect_422(module, bodies)
    return _verdict("p3.reject_bad_types", problems, "strings, missing field, non-list: all 422")


def _predict_endpoint(module: ModuleType) -> Callable[..., Any] | None:
    for route in getattr(module.app, "routes", []):
        if getattr(route, "path", None) == "/predict" and "POST" in getattr(route, "methods", ()):
            endpoint: Callable[..., Any] = route.endpoint
            return endpoint
    return None


async def probe_async_endpoint(module: ModuleType) -> ProbeResult:
    """The POST /predict endpoint is declared ``async def``."""
    endpoint = _predict_endpoint(module)
    if endpoint is None:
        return _verdict("p3.async_endpoint", ["no POST /predict route on app"], "")
    is_async = inspect.iscoroutinefunction(endpoint)
    name = getattr(endpoint, "__name__", "?")
    problems = [] if is_async else [f"endpoint {name}() is a plain def"]
    return _verdict("p3.async_endpoint", problems, f"endpoint {name}() is async def")


async def probe_non_blocking(module: ModuleType) -> ProbeResult:
    """20 concurrent requests while a heartbeat watches the loop and time.sleep is watched."""
    stalls: list[float] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    _loop_sleeps.clear()
    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0.02)
    async with _client(module) as client:
        responses = await asyncio.gather(
            *(client.post("/predict", json={"data": [i, i + 1]}) for i in range(20))
        )
    done.set()
    await beat
    longest = max(stalls, default=0.0)
    problems = []
    served = sum(r.status_code == 200 for r in responses)
    if served < len(responses):  # a handler that never runs cannot be judged non-blocking
        problems.append(f"only {served}/{len(responses)} requests were answered with 200")
    if _loop_sleeps:
        problems.append(
            f"time.sleep() called {len(_loop_sleeps)} time(s) on the event loop "
            f"(e.g. {_loop_sleeps[0]:g} s)"
        )
    if longest > STALL_LIMIT_S:
        problems.append(f"the event loop stalled for {longest:.2f} s (limit {STALL_LIMIT_S:g} s)")
    ok_text = f"no blocking call; longest loop stall {longest * 1000:.0f} ms"
    return _verdict("p3.non_blocking", problems, ok_text)


@contextlib.asynccontextmanager
async def _live_server(module: ModuleType) -> AsyncIterator[str]:
    """Serve the app with a real uvicorn on a free 127.0.0.1 port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(module.app, log_level="warning", lifespan="auto"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(400):  # up to ~20 s to start
            if server.started or serving.done():
                break
            await asyncio.sleep(0.05)
        if not server.started:
            raise RuntimeError("uvicorn did not start serving the app")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=20)
        sock.close()


async def _concurrent_problems(client: httpx.AsyncClient, count: int) -> list[str]:
    inputs = [[float(i), float(i) * 3 + 1, 7.0] for i in range(count)]
    responses = await asyncio.gather(
        *(client.post("/predict", json={"data": data}) for data in inputs),
        return_exceptions=True,
    )
    problems = []
    for data, response in zip(inputs, responses, strict=True):
        if isinstance(response, BaseException):
            problems.append(f"request for {data} raised {type(response).__name__}: {response}")
        elif problem := _check_answer(response, data):
            problems.append(problem)
    return problems


async def probe_concurrent(module: ModuleType) -> ProbeResult:
    """50 concurrent requests in process and 20 over live HTTP each get their own mean."""
    problems = []
    async with _client(module) as client:
        if wrong := await _concurrent_problems(client, 50):
            problems.append(f"ASGI: {len(wrong)}/50 concurrent answers wrong; first: {wrong[0]}")
    async with _live_server(module) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        if wrong := await _concurrent_problems(client, 20):
            problems.append(f"uvicorn: {len(wrong)}/20 concurrent answers wrong; first: {wrong[0]}")
    return _verdict(
        "p3.concurrent", problems, "50 concurrent (ASGI) + 20 concurrent (uvicorn) all correct"
    )


async def probe_live_uvicorn(module: ModuleType) -> ProbeResult:
    """The app under a real uvicorn on a free loopback port: valid requests and a 422."""
    problems: list[str] = []
    async with _live_server(module) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        for data in ([1.0, 2.0], [10.0], [0.5, 1.5, 2.5]):
            if problem := _check_answer(await client.post("/predict", json={"data": data}), data):
                problems.append(problem)
        bad = await client.post("/predict", json={"data": "oops"})
        if bad.status_code != 422:
            problems.append(f"{{'data': 'oops'}} gave {bad.status_code} over HTTP")
    return _verdict("p3.live_uvicorn", problems, f"3 requests and a 422 over HTTP at {url}")


PROBES: list[tuple[str, Probe]] = [
    ("p3.schema", probe_schema),
    ("p3.timestamp", probe_timestamp),
    ("p3.reject_empty", probe_reject_empty),
    ("p3.reject_bad_types", probe_reject_bad_types),
    ("p3.async_endpoint", probe_async_endpoint),
    ("p3.non_blocking", probe_non_blocking),
    ("p3.concurrent", probe_concurrent),
    ("p3.live_uvicorn", probe_live_uvicorn),
]
