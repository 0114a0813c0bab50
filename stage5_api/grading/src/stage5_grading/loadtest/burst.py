"""Send an exact list of POSTs and keep every answer: for checks that count or compare them.

wrk and the open-loop generator report figures; some checks need the answers themselves —
"is the answer to row 17 under 1000 concurrent requests the same as when it is sent alone?",
"did /metrics count exactly the 2000 requests we sent?". :func:`send_all` sends each body once
over up to ``concurrency`` keep-alive connections and returns one :class:`Reply` per body, in
order. With ``simultaneous=True`` every connection is opened first and all requests are
written at once: ``concurrency`` requests truly in flight together.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from pydantic import BaseModel

__all__ = ["Reply", "send_all"]


class Reply(BaseModel):
    """One answer: status (None when the exchange failed), body, or the error."""

    status: int | None = None
    body: bytes = b""
    error: str | None = None
    latency_s: float = 0.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    keep = headers.get("connection", "").lower() != "close"
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, body, keep
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or 0)
    return status, (await reader.readexactly(length) if length else b""), keep


def _request(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _run(
    url: str,
    bodies: list[bytes],
    concurrency: int,
    timeout_s: float,
    simultaneous: bool,
    keep_alive: bool,
) -> list[Reply]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    replies: list[Reply] = [Reply() for _ in bodies]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(bodies)):
        queue.put_nowait(i)
    connected = asyncio.Event()
    waiting = [min(concurrency, len(bodies))]

    async def worker() -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            if simultaneous:
                try:
                    conn = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
                except (OSError, TimeoutError):
                    conn = None  # the exchange below tries again and records the error
                finally:
                    waiting[0] -= 1
                    if waiting[0] == 0:
                        connected.set()
                await connected.wait()
            while not queue.empty():
                i = queue.get_nowait()
                started = time.perf_counter()
                try:
                    if conn is None:
                        conn = await asyncio.wait_for(
                            asyncio.open_connection(host, port), timeout_s
                        )
                    conn[1].write(_request(host, port, path, bodies[i]))
                    status, body, keep = await asyncio.wait_for(_read_response(conn[0]), timeout_s)
                    replies[i] = Reply(
                        status=status, body=body, latency_s=time.perf_counter() - started
                    )
                    if not (keep and keep_alive):
                        conn[1].close()
                        conn = None
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                    replies[i] = Reply(
                        error=f"{type(exc).__name__}: {exc}"[:200],
                        latency_s=time.perf_counter() - started,
                    )
                    if conn is not None:
                        conn[1].close()
                    conn = None
        finally:
            if conn is not None:
                conn[1].close()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(bodies)))))
    return replies


def send_all(
    url: str,
    bodies: list[str],
    *,
    concurrency: int = 50,
    timeout_s: float = 30.0,
    simultaneous: bool = False,
    keep_alive: bool = True,
) -> list[Reply]:
    """POST each of ``bodies`` to ``url`` once; the replies in the same order.

    ``keep_alive=False`` opens a new connection for every request, so a server with several
    workers spreads them over all of its workers.
    """
    if concurrency < 1 or not bodies:
        raise ValueError(
            f"send_all(concurrency={concurrency}, {len(bodies)} bodies): concurrency must be "
            "positive and bodies not empty"
        )
    encoded = [b.encode() for b in bodies]
    return asyncio.run(_run(url, encoded, concurrency, timeout_s, simultaneous, keep_alive))
