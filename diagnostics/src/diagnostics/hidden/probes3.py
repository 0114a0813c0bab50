"""Hidden tests of problem 3 (FastAPI ``app`` with POST /predict), in process and over HTTP.

Each probe checks one behaviour and reads only what it needs: the exact schema is
``p3.schema``'s, so the concurrency and live-server probes accept any answer whose
``prediction`` is the right number, and their inputs have mean = median so a median
"model" costs the schema alone.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx

from diagnostics.hidden.asgi import CLIENT_TIMEOUT_S, in_process_client, live_server
from diagnostics.hidden.candidate import attribute
from diagnostics.hidden.loop_watch import watch_loop
from diagnostics.hidden.records import ProbeResult

__all__ = ["PROBES"]

Probe = Callable[[ModuleType], Awaitable[ProbeResult]]
LONGEST_HOLD_S = 0.25  # one step of a handler that holds the loop this long blocks it
TOTAL_HOLD_S = 1.0  # ten trivial requests never hold the loop this long in total
CONCURRENT_IN_PROCESS = 30
CONCURRENT_LIVE = 10
ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"
)


def _mean(data: list[float]) -> float:
    return sum(data) / len(data)


def _schema_problem(response: httpx.Response, data: list[float]) -> str:
    """ "" when the response is exactly {prediction: mean, timestamp: str} with 200."""
    sent = f"POST /predict {{'data': {data}}}"
    if response.status_code != 200:
        return f"{sent} gave {response.status_code} ({response.text[:100]!r}); expected 200"
    try:
        body = response.json()
    except ValueError:
        return f"{sent} answered {response.text[:80]!r}, which is not JSON"
    if not isinstance(body, dict) or set(body) != {"prediction", "timestamp"}:
        return f"{sent} answered {body!r:.120}; expected exactly the keys prediction and timestamp"
    prediction = body["prediction"]
    if isinstance(prediction, bool) or not isinstance(prediction, int | float):
        return f"{sent} answered prediction={prediction!r}; expected a number (float)"
    if not math.isclose(prediction, _mean(data), rel_tol=1e-9, abs_tol=1e-9):
        return f"{sent} answered prediction={prediction}; expected the mean {_mean(data)}"
    if not isinstance(body["timestamp"], str):
        return f"{sent} answered timestamp={body['timestamp']!r}; expected a string"
    return ""


def _prediction_problem(response: httpx.Response, data: list[float]) -> str:
    """ "" when a 2xx JSON answer carries the right ``prediction`` (any number-like form)."""
    sent = f"{{'data': {data}}}"
    if not 200 <= response.status_code < 300:
        return f"{sent} gave {response.status_code} ({response.text[:80]!r})"
    try:
        value = float(response.json()["prediction"])
    except (ValueError, TypeError, KeyError):
        return f"{sent} answered {response.text[:80]!r} with no readable prediction"
    if not math.isclose(value, _mean(data), rel_tol=1e-9, abs_tol=1e-9):
        return f"{sent} got prediction {value}; expected the mean of its own data {_mean(data)}"
    return ""


def _verdict(probe_id: str, problems: list[str], ok_text: str) -> ProbeResult:
    ok = not problems
    return ProbeResult(
        id=probe_id, passed=ok, evidence=ok_text if ok else "; ".join(problems[:3]), value=ok
    )


async def probe_schema(module: ModuleType) -> ProbeResult:
    """Three valid requests answered with exactly {prediction, timestamp}."""
    problems = []
    async with in_process_client(module) as client:
        inputs: list[list[float]] = [[1, 2, 3, 4, 5], [2.5], [-1, 0, 10, 0.25]]
        for data in inputs:
            if problem := _schema_problem(await client.post("/predict", json={"data": data}), data):
                problems.append(problem)
    return _verdict("p3.schema", problems, "200 with {prediction: mean, timestamp} for 3 inputs")


async def probe_timestamp(module: ModuleType) -> ProbeResult:
    """ISO-8601 (date 'T' time), with a UTC offset, the right instant (the sandbox runs in KST)."""
    async with in_process_client(module) as client:
        response = await client.post("/predict", json={"data": [1.5, 2.5]})
    try:
        raw = response.json().get("timestamp") if response.is_success else None
    except (ValueError, AttributeError):
        raw = None
    where = "POST /predict answered timestamp"
    problems = []
    if not isinstance(raw, str):
        problems.append(
            f"{where} {raw!r} (status {response.status_code}); expected an ISO-8601 string"
        )
    elif not ISO_8601.match(raw):
        problems.append(
            f"{where} {raw!r}; expected ISO-8601 with an offset, e.g. "
            "'2026-03-01T12:00:00.123456+00:00' (datetime.now(timezone.utc).isoformat())"
        )
    else:
        stamp = datetime.fromisoformat(raw)
        off_by = abs((stamp - datetime.now(UTC)).total_seconds())
        if off_by > 600:
            problems.append(
                f"{where} {raw!r}, {off_by / 3600:.1f} h from the real time; expected now "
                "(a local clock labelled as UTC?)"
            )
    return _verdict("p3.timestamp", problems, f"timestamp {raw!r} is ISO-8601 with an offset")


async def _expect_422(module: ModuleType, bodies: Iterable[Any]) -> list[str]:
    problems = []
    async with in_process_client(module) as client:
        for body in bodies:
            response = await client.post("/predict", json=body)
            if response.status_code != 422:
                problems.append(
                    f"POST /predict {body!r} gave {response.status_code} "
                    f"({response.text[:60]!r}); expected 422"
                )
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


def _find_endpoint(routes: Iterable[Any], prefix: str = "") -> Callable[..., Any] | None:
    for route in routes:
        path = prefix + str(getattr(route, "path", ""))
        if path == "/predict" and "POST" in (getattr(route, "methods", None) or ()):
            endpoint: Callable[..., Any] = route.endpoint
            return endpoint
        inner = getattr(route, "routes", None) or []  # a mounted sub-application or router
        if "/predict".startswith(path.rstrip("/")) and (
            found := _find_endpoint(inner, path.rstrip("/"))
        ):
            return found
    return None


def _is_async(endpoint: Callable[..., Any]) -> bool:
    """As FastAPI decides whether to await the endpoint or run it in its thread pool."""
    return inspect.iscoroutinefunction(endpoint) or inspect.iscoroutinefunction(
        getattr(endpoint, "__call__", None)  # noqa: B004 (a callable object's async __call__)
    )


async def probe_async_endpoint(module: ModuleType) -> ProbeResult:
    """The POST /predict endpoint is declared ``async def``."""
    endpoint = _find_endpoint(getattr(attribute(module, "app"), "routes", []))
    if endpoint is None:
        return _verdict("p3.async_endpoint", ["app has no POST /predict route"], "")
    name = getattr(endpoint, "__qualname__", getattr(endpoint, "__name__", repr(endpoint)))
    problems = (
        []
        if _is_async(endpoint)
        else [
            f"the POST /predict endpoint {name}() is a plain def (FastAPI runs it in its thread "
            "pool); expected async def"
        ]
    )
    return _verdict("p3.async_endpoint", problems, f"endpoint {name}() is async def")


async def probe_non_blocking(module: ModuleType) -> ProbeResult:
    """10 concurrent requests while the loop is watched (time.sleep calls, held time)."""
    endpoint = _find_endpoint(getattr(attribute(module, "app"), "routes", []))
    name = getattr(endpoint, "__qualname__", "the endpoint") if endpoint else "the app"
    async with in_process_client(module) as client, watch_loop() as hold:
        responses = await asyncio.gather(
            *(client.post("/predict", json={"data": [i + 0.5, i + 1.5]}) for i in range(10))
        )
    problems = []
    if not any(r.is_success for r in responses):  # a handler that never ran proves nothing
        problems.append(
            f"none of {len(responses)} valid requests was answered with success (first: "
            f"{responses[0].status_code} {responses[0].text[:60]!r}), so blocking cannot be judged"
        )
    if hold.sleeps:
        seconds, where = hold.sleeps[0]
        problems.append(
            f"time.sleep({seconds:g}) was called {len(hold.sleeps)} time(s) on the event-loop "
            f"thread, from {where}; expected await asyncio.sleep or a worker thread"
        )
    if hold.longest_s > LONGEST_HOLD_S or hold.total_s > TOTAL_HOLD_S:
        problems.append(
            f"while {name}() served 10 requests the event loop was held for up to "
            f"{hold.longest_s:.2f} s at a time ({hold.total_s:.2f} s in all, waits for a CPU "
            f"excluded); expected under {LONGEST_HOLD_S:g} s at a time and {TOTAL_HOLD_S:g} s "
            "in all (blocking I/O or CPU work inside async def?)"
        )
    ok_text = (
        f"no blocking call; the loop was held {hold.longest_s * 1000:.0f} ms at most "
        f"({hold.total_s * 1000:.0f} ms in all)"
    )
    return _verdict("p3.non_blocking", problems, ok_text)


async def _concurrent_problems(client: httpx.AsyncClient, count: int) -> list[str]:
    inputs = [[float(i), float(i) + 2, float(i) + 4] for i in range(count)]  # mean = median
    responses = await asyncio.gather(
        *(client.post("/predict", json={"data": data}) for data in inputs),
        return_exceptions=True,
    )
    problems = []
    for data, response in zip(inputs, responses, strict=True):
        if isinstance(response, BaseException):
            problems.append(f"{{'data': {data}}} raised {type(response).__name__}: {response}")
        elif problem := _prediction_problem(response, data):
            problems.append(problem)
    return problems


async def probe_concurrent(module: ModuleType) -> ProbeResult:
    """30 concurrent requests in process and 10 over live HTTP each get their own mean."""
    problems = []
    async with in_process_client(module) as client:
        if wrong := await _concurrent_problems(client, CONCURRENT_IN_PROCESS):
            problems.append(
                f"{len(wrong)}/{CONCURRENT_IN_PROCESS} concurrent answers (in process) wrong; "
                f"first: {wrong[0]}"
            )
    async with (
        live_server(module) as url,
        httpx.AsyncClient(base_url=url, timeout=CLIENT_TIMEOUT_S) as client,
    ):
        if wrong := await _concurrent_problems(client, CONCURRENT_LIVE):
            problems.append(
                f"{len(wrong)}/{CONCURRENT_LIVE} concurrent answers (uvicorn) wrong; "
                f"first: {wrong[0]}"
            )
    total = CONCURRENT_IN_PROCESS + CONCURRENT_LIVE
    return _verdict("p3.concurrent", problems, f"{total} concurrent requests, each its own mean")


def _is_json(response: httpx.Response) -> bool:
    content_type = str(response.headers.get("content-type", ""))
    return content_type.split(";")[0].strip() == "application/json"


async def probe_live_uvicorn(module: ModuleType) -> ProbeResult:
    """Under a real uvicorn: JSON answers (content type and body) and a JSON 422."""
    problems: list[str] = []
    async with (
        live_server(module) as url,
        httpx.AsyncClient(base_url=url, timeout=CLIENT_TIMEOUT_S) as client,
    ):
        for data in ([1.0, 2.0], [10.0], [0.5, 1.5, 2.5]):
            response = await client.post("/predict", json={"data": data})
            if problem := _prediction_problem(response, data):
                problems.append(f"over HTTP {problem}")
            elif not _is_json(response):
                problems.append(
                    f"over HTTP the answer's Content-Type is "
                    f"{response.headers.get('content-type')!r}; expected application/json"
                )
        bad = await client.post("/predict", json={"data": "oops"})
        if bad.status_code != 422:
            problems.append(f"over HTTP {{'data': 'oops'}} gave {bad.status_code}; expected 422")
        elif not _is_json(bad):
            problems.append(
                f"over HTTP the 422 answer is {bad.headers.get('content-type')!r} "
                f"({bad.text[:60]!r}); expected a JSON error body"
            )
    return _verdict("p3.live_uvicorn", problems, f"JSON answers and a JSON 422 over HTTP at {url}")


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
