"""stage5_api.serve: one SO_REUSEPORT socket per worker spreads connections; a dead worker stops it."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import psutil
import pytest

from stage5_grading.loadtest.server import AppTarget, UvicornServer

pytestmark = pytest.mark.slow

# an earlier test may leave MLFLOW_TRACKING_URI in os.environ: empty = the bundled model
ENV = {"STAGE5_REDIS_URL": "none", "MLFLOW_TRACKING_URI": ""}


def _workers(server: UvicornServer) -> list[psutil.Process]:
    assert server.proc is not None
    children = psutil.Process(server.proc.pid).children()
    return [c for c in children if "--worker-fd" in c.cmdline()]


def _established(proc: psutil.Process, port: int) -> int:
    return sum(
        1 for c in proc.net_connections("tcp") if c.status == "ESTABLISHED" and c.laddr.port == port
    )


def test_command_uses_the_launcher_only_for_several_workers() -> None:
    target = AppTarget("stage5_api.main:app")
    assert UvicornServer(target, workers=2).command()[2] == "stage5_api.serve"
    assert UvicornServer(target, workers=1).command()[2] == "uvicorn"
    assert UvicornServer(target, workers=2, reuseport=False).command()[2] == "uvicorn"


def test_connections_are_spread_over_the_workers(tmp_path: Path) -> None:
    server = UvicornServer(
        AppTarget("stage5_api.main:app"), workers=2, env=ENV, log_path=tmp_path / "log"
    )
    with server:
        workers = _workers(server)
        assert len(workers) == 2
        assert server.listening_processes() == 2  # start() returns once every worker listens
        clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(200)]
        try:
            request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            for c in clients:  # one answered request each: the worker has accepted it
                c.sendall(request)
                assert c.recv(4096).startswith(b"HTTP/1.1 200")
            counts = sorted(_established(w, server.port) for w in workers)
        finally:
            for c in clients:
                c.close()
    # the kernel hashes connections over the two sockets: ~100 each (7 sd from 50)
    assert sum(counts) == 200 and counts[0] >= 50, counts


def test_a_dead_worker_stops_the_server_with_code_1(tmp_path: Path) -> None:
    server = UvicornServer(
        AppTarget("stage5_api.main:app"), workers=2, env=ENV, log_path=tmp_path / "log"
    )
    with server:
        assert server.proc is not None
        first, second = _workers(server)
        first.send_signal(signal.SIGKILL)
        assert server.proc.wait(60) == 1
        second.wait(60)  # stopped by the parent, not left behind
    assert "a worker exited" in (tmp_path / "log").read_text()
