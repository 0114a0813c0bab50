"""stage5_api.serve: one SO_REUSEPORT socket per worker spreads connections; a dead worker is
replaced while the other serves; a worker that keeps dying stops the server with code 1."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
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


def test_a_killed_worker_is_replaced_while_the_other_serves(tmp_path: Path) -> None:
    server = UvicornServer(
        AppTarget("stage5_api.main:app"), workers=2, env=ENV, log_path=tmp_path / "log"
    )
    with server:
        assert server.proc is not None
        first, second = _workers(server)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        # the survivor answers every request meanwhile (the dead socket is gone with its worker)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            codes = [client.post("/predict", json={"features": [0.5] * 10}).status_code]
            codes += [httpx.get(server.url + "/health", timeout=30).status_code for _ in range(50)]
        assert codes == [200] * 51
        deadline = time.monotonic() + 120  # a bound for a busy machine, not a timed assertion
        while server.listening_processes() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = _workers(server)
        assert len(workers) == 2 and second in workers and first not in workers
        assert server.listening_processes() == 2
        assert server.proc.poll() is None  # the supervisor kept running
        code = server.stop()
    assert code == 0
    assert (
        f"worker pid {first.pid} exited with code -9; started pid" in (tmp_path / "log").read_text()
    )


def test_a_worker_that_keeps_dying_stops_the_server_with_code_1(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "stage5_api.serve", "no_such_module_s5:app", "--port", str(port)]
    cmd += ["--workers", "2", "--max-restarts", "3", "--restart-window", "600"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "4 worker deaths within 600 s" in done.stderr and "stopping" in done.stderr
