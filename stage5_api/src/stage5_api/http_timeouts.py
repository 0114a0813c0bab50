"""uvicorn's HTTP protocol with a request-read timeout, the defence against slow-header clients.

uvicorn times out idle keep-alive connections, but not a client that connects and sends
nothing, nor one that drips a request's headers (or its body) a byte at a time: each such
connection holds a file descriptor and a parser for ever (Slowloris). nginx closes them after
``client_header_timeout`` / ``client_body_timeout`` (60 s each); here one timer runs from the
connection's opening (or a request's first byte) until the request has been read whole, and a
client that has not finished by then gets ``408 Request Timeout`` and a closed connection.

    python -m stage5_api.serve stage5_api.main:app --request-read-timeout 10

Only the httptools protocol (uvicorn's default, installed with the service) is extended.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["DEFAULT_READ_TIMEOUT_S", "ReadTimeoutHttpToolsProtocol", "with_read_timeout"]

DEFAULT_READ_TIMEOUT_S = 10.0

_TIMEOUT_MESSAGE = b"request not received in time"
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_TIMEOUT_MESSAGE)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TIMEOUT_MESSAGE
)


class ReadTimeoutHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that closes connections whose request is not read in time."""

    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None
        self._head_started = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is timed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_started = True
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        self._head_started = False
        super().on_message_complete()

    def _arm(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(self.read_timeout_s, self._timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        response_started = self.cycle is not None and self.cycle.response_started
        if self._head_started and not response_started:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()  # a request still being read sees http.disconnect


def with_read_timeout(seconds: float) -> type[ReadTimeoutHttpToolsProtocol]:
    """The protocol class with its timeout set (uvicorn's ``http=`` takes a class)."""
    if seconds <= 0:
        raise ValueError(f"request read timeout {seconds} s: use a positive number of seconds")
    return type(
        "ReadTimeoutHttpToolsProtocol",
        (ReadTimeoutHttpToolsProtocol,),
        {"read_timeout_s": float(seconds)},
    )
