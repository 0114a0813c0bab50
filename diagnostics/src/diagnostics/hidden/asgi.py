"""Problem 3's app served two ways: in process (httpx's ASGI transport) and by a live uvicorn.

In process, the app's lifespan runs around each use, as a server would run it (uvicorn's
``lifespan="auto"``): an app that loads its model at startup is served as designed, one whose
startup fails cannot be served, one without lifespan support is served without it. An
exception inside the app becomes a 500 answer, as it would over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from types import ModuleType
from typing import Any

import httpx
import uvicorn

from diagnostics.hidden.candidate import CandidateFault, attribute

__all__ = ["CLIENT_TIMEOUT_S", "in_process_client", "live_server"]

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
CLIENT_TIMEOUT_S = 120.0  # generous: a handler that blocks is judged by p3.non_blocking only
STARTUP_LIMIT_S = 30.0


@contextlib.asynccontextmanager
async def in_process_client(module: ModuleType) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client that calls ``module.app`` in this process, with its lifespan running."""
    app = attribute(module, "app")
    async with _lifespan(app) as state:

        async def with_state(scope: Message, receive: Any, send: Any) -> None:
            if scope["type"] in ("http", "websocket") and state is not None:
                scope["state"] = dict(state)  # what a server gives each request (lifespan state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8000", timeout=CLIENT_TIMEOUT_S
        ) as client:
            yield client


@contextlib.asynccontextmanager
async def _lifespan(app: ASGIApp) -> AsyncIterator[dict[str, Any] | None]:
    """Run the ASGI lifespan protocol around the block; yields its state (None: unsupported)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    started, stopped = asyncio.Event(), asyncio.Event()
    failure: list[str] = []
    state: dict[str, Any] = {}

    async def send(message: Message) -> None:
        kind = message.get("type", "")
        if kind.startswith("lifespan.startup."):
            if kind.endswith("failed"):
                failure.append(str(message.get("message", "")))
            started.set()
        elif kind.startswith("lifespan.shutdown."):
            stopped.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}
    task: asyncio.Task[None] = asyncio.create_task(app(scope, inbox.get, send))  # type: ignore[arg-type]
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.wait(
        [task, asyncio.create_task(started.wait())],
        timeout=STARTUP_LIMIT_S,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if failure:
        await _finish(task)
        raise CandidateFault(f"the app's startup (lifespan) failed: {failure[0][:200]}")
    if not started.is_set():
        if not task.done():
            task.cancel()
            raise CandidateFault(f"the app's startup did not finish within {STARTUP_LIMIT_S:g} s")
        yield None  # the app does not speak the lifespan protocol: serve it without
        return
    try:
        yield state
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), timeout=10)
        await _finish(task)


async def _finish(task: asyncio.Task[Any]) -> None:
    if not task.done():
        task.cancel()
    with contextlib.suppress(BaseException):
        await task


@contextlib.asynccontextmanager
async def live_server(module: ModuleType) -> AsyncIterator[str]:
    """Serve ``module.app`` with a real uvicorn on a free 127.0.0.1 port; yield its base URL."""
    app = attribute(module, "app")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="auto"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(int(STARTUP_LIMIT_S / 0.05)):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.05)
        if not server.started:
            raise CandidateFault(
                "uvicorn could not start serving the app (its startup failed or hung; see the "
                "sandbox log)"
            )
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(serving, timeout=20)
        sock.close()
