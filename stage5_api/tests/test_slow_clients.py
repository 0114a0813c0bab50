"""Slow clients (Slowloris) are cut off: a request must be read within --request-read-timeout.

A real server (``python -m stage5_api.serve``, one worker, a 1 s timeout) and raw sockets: a
client that connects and sends nothing, one that drips its headers, one that drips its body.
Each must see its connection closed (with 408 once a request has begun); a normal keep-alive
client is unaffected. The socket timeout of 60 s is only a bound for a busy machine.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from opskit.processes import free_port, stop_tree, wait_until_answers
from stage5_api.http_timeouts import with_read_timeout

pytestmark = pytest.mark.slow

BOUND_S = 60.0


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "STAGE5_REDIS_URL": "none", "MLFLOW_TRACKING_URI": ""}
    env["STAGE5_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    log = tmp_path_factory.mktemp("log") / "server.log"
    cmd = [sys.executable, "-m", "stage5_api.serve", "stage5_api.main:app", "--port", str(port)]
    cmd += ["--workers", "1", "--request-read-timeout", "1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/health", process=proc, timeout_s=180)
        yield port
    finally:
        stop_tree(proc, timeout_s=20)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(BOUND_S)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (raises socket.timeout if it never does).

    A reset counts as closed: a client still sending when the server closes gets an RST.
    """
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except ConnectionResetError:
        return data or b"<reset>"
    return data


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body): TCP may split it in two reads."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed mid-response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, f"closed mid-body: {data!r}"
        body += chunk
    return head


def test_a_silent_connection_is_closed(port: int) -> None:
    with _connect(port) as sock:
        assert _read_until_closed(sock) == b""


def test_dripped_headers_get_408_and_a_closed_connection(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = b""
        for piece in (b"X-A: 1\r\n", b"X-B: 2\r\n", b"X-C: 3\r\n") * 20:
            # one header line every 0.3 s, never the blank line, until the server answers
            if select.select([sock], [], [], 0.3)[0] or time.monotonic() - started > BOUND_S:
                break
            try:
                sock.sendall(piece)
            except OSError:  # the server closed while we dripped
                break
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408") or answer == b"<reset>", answer


def test_a_dripped_body_is_cut_off(port: int) -> None:
    head = (
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2000\r\n\r\n"
    )
    with _connect(port) as sock:
        sock.sendall(head + b'{"features": [')
        answer = _read_until_closed(sock)
    assert answer in (b"", b"<reset>") or answer.startswith(b"HTTP/1.1 408"), answer


def test_a_normal_keep_alive_client_is_unaffected(port: int) -> None:
    with _connect(port) as sock:
        for _ in range(3):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(sock).startswith(b"HTTP/1.1 200")
            time.sleep(0.6)  # idle between requests, shorter than uvicorn's keep-alive (5 s)


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        with_read_timeout(0)
    assert with_read_timeout(2.5).read_timeout_s == 2.5
