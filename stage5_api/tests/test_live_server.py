"""One real uvicorn server (2 workers, free loopback port): metrics summed over workers, drain."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from stage5_grading.loadtest.server import AppTarget, UvicornServer

pytestmark = pytest.mark.slow

ROW = [0.5] * 10


def _metric(text: str, name: str, contains: str = "") -> float:
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith(name) and contains in line
    )


def _post(url: str) -> int:
    try:
        with httpx.Client(base_url=url, timeout=30) as c:
            return c.post("/predict", json={"features": ROW}).status_code
    except httpx.HTTPError:
        return -1


def _wait_in_flight(url: str, n: int) -> None:
    deadline = time.monotonic() + 1.8
    while time.monotonic() < deadline:
        text = httpx.get(url + "/metrics", timeout=5).text
        if _metric(text, "stage5_in_flight_requests") >= n + 1:  # + the /metrics request
            return
        time.sleep(0.02)
    raise AssertionError("requests did not reach the server in time")


def test_live_server_counts_every_request_and_drains(tmp_path: Path) -> None:
    # an earlier test's mlflow.set_tracking_uri leaves MLFLOW_TRACKING_URI in os.environ, which
    # the server would inherit: empty = the bundled model
    env = {
        "STAGE5_REDIS_URL": "redis://127.0.0.1:1/0",
        "STAGE5_BATCH_MAX_WAIT_MS": "2000",
        "MLFLOW_TRACKING_URI": "",
    }
    server = UvicornServer(
        AppTarget("stage5_api.main:app"),
        workers=2,
        env=env,
        ready_path="/ready",
        log_path=tmp_path / "uvicorn.log",
    )
    with server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            with ThreadPoolExecutor(40) as pool:
                codes = list(pool.map(lambda _: _post(server.url), range(40)))
            assert codes == [200] * 40
            ready = client.get("/ready").json()
            assert ready["ready"] is True and ready["degraded"] is True  # port 1: no Redis
            metrics = client.get("/metrics").text
        assert _metric(metrics, "stage5_http_requests_total", 'route="/predict"') == 40
        assert _metric(metrics, "stage5_predictions_total") == 40

        # graceful shutdown: requests in flight when SIGTERM arrives are still answered
        results: list[int] = []

        threads = [
            threading.Thread(target=lambda: results.append(_post(server.url))) for _ in range(20)
        ]
        for t in threads:
            t.start()
        _wait_in_flight(server.url, 20)  # all connected and waiting in the 2 s batching window
        code = server.stop()
        for t in threads:
            t.join()
    assert code == 0, (tmp_path / "uvicorn.log").read_text()
    assert results == [200] * 20
