"""Reject request bodies larger than a limit with 413, before the app reads them whole.

A body with ``Content-Length`` is judged by the header. A chunked one is counted as it streams,
and the limit trips inside the app's ``receive()``; the error raised there is an
``HTTPException(413)`` because FastAPI turns any other exception raised while it reads a body
into ``400 "There was an error parsing the body"`` (it re-raises HTTPExceptions).
"""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimitMiddleware"]


def _detail(max_bytes: int) -> str:
    return (
        f"request body too large: the limit is {max_bytes} bytes (STAGE5_MAX_BODY_BYTES); "
        "send one row per /predict request, and batch files with /batch-predict"
    )


class _BodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _detail(max_bytes))


class BodySizeLimitMiddleware:
    """413 when Content-Length, or the bytes actually streamed, exceed ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._too_large = orjson.dumps({"detail": _detail(max_bytes)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _send_413(send, self._too_large)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _send_413(send, self._too_large)


async def _send_413(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
