"""SIGTERM to ``python -m stage3_mlops server`` (what ``make serve-mlflow-stage3`` runs) leaves nothing.

``mlflow server`` forwards SIGTERM to its uvicorn child only; with job execution on, its job
runner and huey consumers used to outlive it. The test turns job execution on on purpose.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from opskit.processes import wait_until_answers
from stage3_mlops.servers import TrackingServer, find_free_port, mlflow_env

pytestmark = pytest.mark.slow


def _alive(procs: list[psutil.Process]) -> list[str]:
    left = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            continue
    return left


def _migrated_copy(server: TrackingServer, target: Path) -> Path:
    """A copy of the session server's SQLite store: already migrated, so start-up is shorter."""
    source = server.backend_uri.removeprefix("sqlite:///")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def test_sigterm_stops_the_tracking_server_and_all_its_workers(
    tracking_server: TrackingServer, tmp_path: Path
) -> None:
    port = find_free_port()
    database = _migrated_copy(tracking_server, tmp_path / "mlflow.db")
    args = [sys.executable, "-m", "stage3_mlops", "server", "--port", str(port)]
    args += ["--backend-uri", f"sqlite:///{database}"]
    args += ["--artifacts", str(tmp_path / "artifacts")]
    env = mlflow_env({"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "true"})
    log = (tmp_path / "server.log").open("wb")
    cli = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    tree: list[psutil.Process] = []
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/health", process=cli, timeout_s=600)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the job runner starts its consumers after /health
            tree = psutil.Process(cli.pid).children(recursive=True)
            if any("huey" in " ".join(p.cmdline()) for p in tree if p.is_running()):
                break
            time.sleep(0.5)
        names = [" ".join(p.cmdline()) for p in tree]
        assert any("huey" in n for n in names), f"no job workers started: {names}"
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(timeout=60) is not None
        deadline = time.monotonic() + 15
        while _alive(tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(tree) == []
    finally:
        for proc in [*tree, psutil.Process(cli.pid)] if cli.poll() is None else tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()  # a failed run must not leave its workers behind either
        cli.wait()
        log.close()


_STUBBORN_TREE = """
import signal, subprocess, sys, time
# a worker that ignores SIGTERM (as a busy job worker may), and a leader that exits on it
subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('w', flush=True); time.sleep(600)"])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("ready", flush=True)
time.sleep(600)
"""


def test_run_in_foreground_leaves_no_worker_that_ignores_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "tree.py"
    script.write_text(_STUBBORN_TREE)
    runner = (
        "import sys; from stage3_mlops.servers import run_in_foreground; "
        f"sys.exit(run_in_foreground([sys.executable, {str(script)!r}], {{}}, grace_s=2))"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", runner], stdout=subprocess.DEVNULL)
    tree: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(tree) < 2:
            tree = psutil.Process(supervisor.pid).children(recursive=True)
            time.sleep(0.2)
        assert len(tree) == 2, tree  # the leader and its worker
        time.sleep(1.0)  # let the worker install its SIGTERM handler
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=60)
        deadline = time.monotonic() + 10
        while _alive(tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(tree) == []
    finally:
        for proc in [*tree, psutil.Process(supervisor.pid)] if supervisor.poll() is None else tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        supervisor.wait()
