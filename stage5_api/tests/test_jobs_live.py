"""Batch jobs on a real server (``stage5_api.serve``, 2 workers): a worker killed with ``kill -9``
during a job is replaced, its job ends failed (never ``running`` for ever) and leaves no process
behind; and a worker's memory does not grow with the jobs it has run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import psutil
import pytest

from opskit.processes import free_port, stop_tree, wait_until_answers
from stage5_api.services.bundled_model import make_training_data

pytestmark = pytest.mark.slow

KEY = "live-test-key"
HEADERS = {"X-API-Key": KEY}
BOUND_S = 240.0  # bounds for a busy machine, not timed assertions


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], url: str, data_dir: Path, log: Path):
        self.proc, self.url, self.data_dir, self.log = proc, url, data_dir, log

    def workers(self) -> list[psutil.Process]:
        return [c for c in psutil.Process(self.proc.pid).children() if "--worker-fd" in c.cmdline()]

    def job_processes(self) -> list[psutil.Process]:
        found = []
        for worker in self.workers():
            found += [c for c in worker.children() if "job_process" in " ".join(c.cmdline())]
        return found


def _start(tmp: Path, workers: int) -> Server:
    port = free_port()
    data_dir = tmp / "data"
    data_dir.mkdir()
    env = {**os.environ, "STAGE5_REDIS_URL": "none", "MLFLOW_TRACKING_URI": ""}
    env |= {"STAGE5_DATA_DIR": str(data_dir), "STAGE5_API_KEY": KEY}
    log = tmp / "server.log"
    cmd = [sys.executable, "-m", "stage5_api.serve", "stage5_api.main:app", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_answers(url + "/ready", process=proc, timeout_s=BOUND_S)
    return Server(proc, url, data_dir, log)


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    srv = _start(tmp_path, getattr(request, "param", 2))
    try:
        yield srv
    finally:
        stop_tree(srv.proc, timeout_s=30)


def _write_rows(data_dir: Path, n: int, name: str = "rows.parquet") -> None:
    x, _ = make_training_data(n, seed=3)
    pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])]).to_parquet(data_dir / name)


def _wait_job(client: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", headers=HEADERS).json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']}")


def test_kill_9_of_the_worker_running_a_job(server: Server) -> None:
    _write_rows(server.data_dir, 20_000)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        job_id = client.post(
            "/batch-predict", json={"file_path": "rows.parquet"}, headers=HEADERS
        ).json()["job_id"]
        deadline = time.monotonic() + BOUND_S
        while not (children := server.job_processes()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(children) == 1, "the job process did not start"
        child = children[0]
        owner = child.parent()
        assert owner is not None
        survivor = next(w for w in server.workers() if w.pid != owner.pid)
        owner.send_signal(signal.SIGKILL)  # the job process is still importing pandas
        psutil.wait_procs([child], timeout=BOUND_S)
        assert not child.is_running(), "the job process outlived its worker"
        job = _wait_job(client, job_id)
        assert job["status"] == "failed", job
        assert "stopped before it finished" in job["error"] or "ended with code" in job["error"]
        # the supervisor put a new worker in place; the survivor never stopped
        deadline = time.monotonic() + BOUND_S
        while len(server.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert survivor.is_running() and len(server.workers()) == 2
        assert server.proc.poll() is None
        # and the service still runs jobs
        again = client.post("/batch-predict", json={"file_path": "rows.parquet"}, headers=HEADERS)
        assert _wait_job(client, again.json()["job_id"])["status"] == "succeeded"


@pytest.mark.parametrize("server", [1], indirect=True)
def test_worker_memory_does_not_grow_with_jobs(server: Server) -> None:
    """Jobs run in processes of their own: the worker's RSS after 4 jobs of 300,000 rows is
    within 25 MB of its RSS after the first (in-worker scoring grew it by hundreds of MB)."""
    _write_rows(server.data_dir, 300_000)
    (worker,) = server.workers()
    rss: list[int] = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for _ in range(4):
            created = client.post(
                "/batch-predict", json={"file_path": "rows.parquet"}, headers=HEADERS
            )
            assert created.status_code == 202, created.text
            assert _wait_job(client, created.json()["job_id"])["status"] == "succeeded"
            rss.append(worker.memory_info().rss)
    assert max(rss) - rss[0] < 25 * 1024 * 1024, [r // 2**20 for r in rss]
